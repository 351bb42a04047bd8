import Database from "better-sqlite3";
import { NextRequest } from "next/server";
import { afterAll, afterEach, beforeEach, vi, type MockInstance } from "vitest";
import { databaseFile, databaseKind, databaseUrl } from "@/lib/database-url";
import { logger, type Logger } from "@/lib/logger";
import { signToken } from "@/lib/auth";
import { prisma } from "@/lib/prisma";
import type { Role } from "@/schemas/user";

// Helpers for tests that drive route handlers with real requests against the test database.

export const BASE_URL = "http://localhost:3000";

/**
 * Empties the users table. Through Prisma that costs about a millisecond of CPU (its query
 * compiler), which every test starting from an empty table paid; on SQLite the same statement,
 * on a connection of this test file's own, costs microseconds.
 */
export async function resetUsers(): Promise<void> {
  const url = databaseUrl();
  if (databaseKind(url) !== "sqlite") {
    await prisma.user.deleteMany();
    return;
  }
  rawConnection(databaseFile(url)).exec(`DELETE FROM "User"`);
}

let raw: { file: string; db: Database.Database } | undefined;

function rawConnection(file: string): Database.Database {
  if (raw?.file !== file) {
    raw?.db.close();
    raw = { file, db: new Database(file, { fileMustExist: true }) };
  }
  return raw.db;
}

// Closed with the test file, before its database is deleted.
afterAll(() => {
  raw?.db.close();
  raw = undefined;
});

type NewUser = { name?: string; email: string; role?: Role };
type UserRow = Awaited<ReturnType<typeof prisma.user.create>>;

const withDefaults = (data: NewUser) => ({
  name: data.name ?? data.email.split("@")[0]!,
  email: data.email,
  role: data.role ?? "user",
});

/** A user created through Prisma, as the app creates one: its errors are Prisma's (a taken email is P2002). */
export async function createUser(data: NewUser): Promise<UserRow> {
  return prisma.user.create({ data: withDefaults(data) });
}

/**
 * Users a test starts from, written straight into the table in one statement, as Prisma would
 * write them. A test whose code under test never reaches the database (a stub that is not written
 * yet) then never pays for Prisma's first query, about a tenth of a second per test file, nor a
 * millisecond of query compiling per row.
 */
export async function insertUsers(users: NewUser[]): Promise<UserRow[]> {
  const url = databaseUrl();
  if (databaseKind(url) !== "sqlite") return Promise.all(users.map(createUser));
  const db = rawConnection(databaseFile(url));
  const now = new Date();
  // How @prisma/adapter-better-sqlite3 stores a DateTime.
  const stamp = now.toISOString().replace("Z", "+00:00");
  const insert = db
    .prepare(`INSERT INTO "User" (name, email, role, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?) RETURNING id`)
    .pluck()
    .safeIntegers(true);
  return db.transaction(() =>
    users.map(withDefaults).map((user) => ({
      id: insert.get(user.name, user.email, user.role, stamp, stamp) as bigint,
      ...user,
      createdAt: now,
      updatedAt: now,
    })),
  )();
}

export async function insertUser(data: NewUser): Promise<UserRow> {
  return (await insertUsers([data]))[0]!;
}

/** Deletes a user straight from the table: a user deleted since their token was signed. */
export async function deleteUser(id: bigint): Promise<void> {
  if (!rawChange(`DELETE FROM "User" WHERE id = ?`, id)) await prisma.user.delete({ where: { id } });
}

/** Changes a user's role straight in the table: a role changed since their token was signed. */
export async function changeRole(id: bigint, role: Role): Promise<void> {
  if (!rawChange(`UPDATE "User" SET role = ? WHERE id = ?`, role, id)) {
    await prisma.user.update({ where: { id }, data: { role } });
  }
}

/** Runs one change on SQLite's own connection; false on another database, where Prisma does it. */
function rawChange(sql: string, ...values: (string | bigint)[]): boolean {
  const url = databaseUrl();
  if (databaseKind(url) !== "sqlite") return false;
  const { changes } = rawConnection(databaseFile(url))
    .prepare(sql)
    .run(...values);
  if (changes !== 1) throw new Error(`No user with id ${values.at(-1)}`);
  return true;
}

export async function tokenFor(user: { id: bigint }, options?: Parameters<typeof signToken>[1]): Promise<string> {
  return signToken(user, options);
}

export type RequestOptions = { token?: string; body?: unknown; rawBody?: BodyInit; headers?: Record<string, string> };

/** A NextRequest as Next would hand it to a route handler. */
export function request(method: string, path: string, options: RequestOptions = {}): NextRequest {
  const headers = new Headers(options.headers);
  if (options.token) headers.set("authorization", `Bearer ${options.token}`);
  let body = options.rawBody;
  if (options.body !== undefined) body = JSON.stringify(options.body);
  // A body is sent as JSON unless a test says otherwise (a test of a missing Content-Type
  // builds its request itself).
  if (body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
  return new NextRequest(new URL(path, BASE_URL), { method, headers, body });
}

/** The route context Next passes to a dynamic route: params is a Promise since Next 15. */
export function params<P extends Record<string, string>>(value: P): { params: Promise<P> } {
  return { params: Promise.resolve(value) };
}

/** A response body as the API sends it: a user, a page of users, or the error envelope. */
export type ApiBody = {
  user?: { id: number; name: string; email: string; role: string };
  users?: { id: number; name: string; email: string; role: string }[];
  nextCursor?: number | null;
  error?: { code: string; message: string; details?: Record<string, string[]>; requestId: string };
};

export async function json(response: Response): Promise<ApiBody> {
  return (await response.json()) as ApiBody;
}

/**
 * A client sees only "Unexpected error" for a 500, which tells a learner nothing. Call this at
 * the top of a test file: the returned `send` awaits a handler's response and, for a 500,
 * rethrows what the error handler logged (say, "POST /api/users is not implemented yet").
 */
export function surfaceServerErrors(): (pending: Promise<Response>) => Promise<Response> {
  let loggedErrors: MockInstance<Logger["error"]>;
  beforeEach(() => {
    loggedErrors = vi.spyOn(logger, "error");
  });
  afterEach(() => {
    loggedErrors.mockRestore();
  });
  return async (pending) => {
    const response = await pending;
    if (response.status === 500) {
      const thrown = (loggedErrors.mock.lastCall?.[0] as { err?: unknown } | undefined)?.err;
      throw thrown instanceof Error ? thrown : new Error(`The handler answered 500: ${await response.text()}`);
    }
    return response;
  };
}
