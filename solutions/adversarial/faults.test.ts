import { renameSync } from "node:fs";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

vi.hoisted(() => {
  // The error log line is part of what these tests check.
  process.env.LOG_LEVEL = "error";
});

import { POST } from "@/app/api/users/route";
import { GET, PATCH } from "@/app/api/users/[id]/route";
import { databaseFile } from "@/lib/database-url";
import { prisma } from "@/lib/prisma";
import { userService } from "@/services/user-service";
import { createUser, json, params, request, resetUsers, tokenFor } from "@/testing/fixtures";

// What a client sees, and what the log keeps, when the database fails under a request.

const DATABASE_TEXT = /sqlite|prisma|database|locked|invocation|\bat .+:\d+:\d+/i;

let errorLines: string[];
let admin: { id: bigint };
let token: string;

beforeEach(async () => {
  await resetUsers();
  admin = await createUser({ name: "Ada", email: "admin@example.com", role: "admin" });
  token = await tokenFor(admin);
  errorLines = [];
  vi.spyOn(console, "error").mockImplementation((line: unknown) => void errorLines.push(String(line)));
});

afterEach(() => {
  vi.restoreAllMocks();
});

const rename = (id: bigint, name: string) =>
  PATCH(request("PATCH", `/api/users/${id}`, { token, body: { name } }), params({ id: String(id) }));
const read = (id: bigint) => GET(request("GET", `/api/users/${id}`, { token }), params({ id: String(id) }));

async function expectGeneric500(response: Response): Promise<string> {
  expect(response.status).toBe(500);
  const text = await response.text();
  const requestId = response.headers.get("x-request-id")!;
  expect(JSON.parse(text)).toEqual({ error: { code: "INTERNAL_ERROR", message: "Unexpected error", requestId } });
  expect(text).not.toMatch(DATABASE_TEXT);
  return requestId;
}

function expectLoggedWith(requestId: string, cause: RegExp): void {
  const entries = errorLines.map((line) => JSON.parse(line));
  expect(entries).toContainEqual(
    expect.objectContaining({
      level: "error",
      requestId,
      msg: "unhandled error",
      err: expect.objectContaining({ message: expect.stringMatching(cause) }),
    }),
  );
}

describe("the database locked by another writer when a request writes", () => {
  it("answers 500 with the generic body, logs the cause with the request id, then serves the next request", async () => {
    const other = new Database(databaseFile());
    other.exec(`BEGIN IMMEDIATE; UPDATE "User" SET name = 'Other' WHERE id = ${admin.id}`);
    let requestId: string;
    try {
      requestId = await expectGeneric500(await rename(admin.id, "Renamed"));
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }

    expectLoggedWith(requestId, /timed out|locked|busy/i);
    const next = await rename(admin.id, "Renamed");
    expect(next.status).toBe(200);
    expect((await prisma.user.findUniqueOrThrow({ where: { id: admin.id } })).name).toBe("Renamed");
  });
});

describe("the database closed under a request and its file gone", () => {
  it("answers 500 with the generic body, logs the cause with the request id, then serves the next request once the file is back", async () => {
    const file = databaseFile();
    const user = await createUser({ email: "user@example.com" });
    const getUser = userService.getUser.bind(userService);
    vi.spyOn(userService, "getUser").mockImplementationOnce(async (...args) => {
      // Between authentication and the service's own query: the connection closes and the
      // file disappears, as when a volume is unmounted.
      await prisma.$disconnect();
      renameSync(file, `${file}.away`);
      return getUser(...args);
    });

    let requestId: string;
    try {
      requestId = await expectGeneric500(await read(user.id));
    } finally {
      renameSync(`${file}.away`, file);
    }

    expect(errorLines.some((line) => JSON.parse(line).requestId === requestId)).toBe(true);
    const next = await read(user.id);
    expect(next.status).toBe(200);
    expect((await json(next)).user?.email).toBe("user@example.com");
  });
});

describe("a client that goes away mid-upload", () => {
  function abortedUpload(firstBytes: string): ReadableStream<Uint8Array> {
    return new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(firstBytes));
        controller.error(new Error("the client closed the connection"));
      },
    });
  }

  it("leaves no row, logs no server error, and the next request is served", async () => {
    const response = await POST(
      request("POST", "/api/users", {
        token,
        rawBody: abortedUpload('{"name":"Half","email":"half@exa'),
        headers: { "content-type": "application/json" },
      }),
      params({}),
    );

    expect(response.status).toBe(400);
    expect((await json(response)).error).toMatchObject({
      code: "VALIDATION_ERROR",
      message: "Request body could not be read",
    });
    expect(await prisma.user.count({ where: { email: { startsWith: "half" } } })).toBe(0);
    expect(errorLines).toEqual([]);
    expect((await rename(admin.id, "Next")).status).toBe(200);
  });
});
