import type { PrismaClient, User } from "@/generated/prisma/client";
import { apiError } from "@/lib/errors";
import { prisma } from "@/lib/prisma";
import type { CreateUserInput, UpdateUserInput } from "@/schemas/user";
import { notImplemented } from "../not-implemented";

// The only code that knows Prisma. Services ask for users in domain terms and can be tested
// against a fake with the same shape; the database's own errors never travel further than here.

export type { User };
export type UserPage = { users: User[]; nextCursor: bigint | null };
/** Outcome of a change that must leave at least one admin behind. */
export type GuardedResult = { ok: true; user: User } | { ok: false; reason: "not_found" | "last_admin" };

export type UserRepository = {
  findById(id: bigint): Promise<User | null>;
  findByEmail(email: string): Promise<User | null>;
  list(page: { limit: number; cursor?: bigint }): Promise<UserPage>;
  create(data: CreateUserInput): Promise<User>;
  update(id: bigint, data: UpdateUserInput): Promise<GuardedResult>;
  delete(id: bigint): Promise<GuardedResult>;
};

// Given, not part of the exercise. The SQLite driver adapter runs every query on one
// connection, and an interactive transaction holds that connection inside BEGIN for as long as
// its callback awaits. A query from another request issued meanwhile would run inside that
// transaction: it would read changes that may never commit, and a write already acknowledged to
// its client would vanish if the transaction rolled back. So every repository operation below
// runs through `serial`, one at a time per client. (The README's "In production" says more.)
const queues = new WeakMap<object, Promise<unknown>>();

function oneAtATime<T>(db: object, operation: () => Promise<T>): Promise<T> {
  const result = (queues.get(db) ?? Promise.resolve()).then(operation);
  queues.set(db, result.catch(() => undefined));
  return result;
}

export function createUserRepository(db: PrismaClient): UserRepository {
  const serial = <T>(operation: () => Promise<T>) => oneAtATime(db, operation);

  return {
    // TODO: the user with this id, or null. One call: db.user.findUnique({ where: { id } }).
    findById: (id) =>
      serial(async () => {
        return notImplemented("lesson-3", "findById");
      }),

    // TODO: the user with this email, or null (email is a unique column, so findUnique works).
    findByEmail: (email) =>
      serial(async () => {
        return notImplemented("lesson-3", "findByEmail");
      }),

    // TODO: up to `limit` users ordered by id, starting after `cursor` (id greater than it) when
    // one is given. nextCursor is the id of the last user returned when more users follow, and
    // null otherwise. Tip: fetch `limit + 1` rows to learn whether a next page exists.
    list: ({ limit, cursor }) =>
      serial(async () => {
        return notImplemented("lesson-3", "list");
      }),

    // TODO: insert the user and return the new row. When the email is taken Prisma throws an
    // error with code "P2002": throw apiError("EMAIL_EXISTS", "Email already exists",
    // { cause: error }) instead, never Prisma's message. Rethrow any other error unchanged.
    create: (data) =>
      serial(async () => {
        return notImplemented("lesson-3", "create");
      }),

    // TODO: in ONE transaction (db.$transaction(async (tx) => ...), using tx inside):
    //  - no user with this id: return { ok: false, reason: "not_found" };
    //  - apply the change; a taken email becomes the same 409 EMAIL_EXISTS as in create;
    //  - if the user was an admin and no admin is left now, roll back (throw inside the
    //    transaction) and return { ok: false, reason: "last_admin" };
    //  - otherwise return { ok: true, user } with the updated row.
    update: (id, data) =>
      serial(async () => {
        return notImplemented("lesson-3", "update");
      }),

    // TODO: like update, in one transaction: not_found for a missing id, last_admin (and the row
    // stays) when it would delete the last admin, else { ok: true, user } with the deleted row.
    delete: (id) =>
      serial(async () => {
        return notImplemented("lesson-3", "delete");
      }),
  };
}

export const userRepository = createUserRepository(prisma);
