import { afterEach, describe, expect, it, vi } from "vitest";
import { prisma } from "@/lib/prisma";
import { userRepository } from "@/repositories/user-repository";
import {
  deleteUser,
  insertUser,
  insertUsers,
  surfaceServerErrors,
  params,
  request,
  tokenFor,
  type RequestOptions,
} from "@/testing/fixtures";
import { startEachTestFrom } from "@/testing/users-each-test";
import { GET, POST } from "./users-route";

afterEach(() => {
  vi.restoreAllMocks();
});

// A 500 fails the test with what the handler threw, not just "Unexpected error".
const send = surfaceServerErrors();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NO_PARAMS = params({});

let admin: { id: bigint };
let adminToken: string;

// Ada the admin, made once for this file and put back before each test.
startEachTestFrom(async () => {
  admin = await insertUser({ name: "Ada", email: "admin@example.com", role: "admin" });
  adminToken = await tokenFor(admin);
});

const post = (options: RequestOptions) => send(POST(request("POST", "/api/users", options), NO_PARAMS));
const list = (query = "", options: RequestOptions = { token: adminToken }) =>
  send(GET(request("GET", `/api/users${query}`, options), NO_PARAMS));

const alice = { name: "Alice", email: "alice@example.com" };
const userCount = () => prisma.user.count();

async function createUsers(count: number) {
  await insertUsers(Array.from({ length: count }, (_, i) => ({ name: `User ${i}`, email: `user${i}@example.com` })));
}

/** A gate that opens once `parties` callers wait at it, or when open() is called. */
function barrier(parties: number) {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return {
    open,
    wait(): Promise<void> {
      arrived += 1;
      if (arrived === parties) open();
      return opened;
    },
  };
}

const allIds = async () => (await prisma.user.findMany({ orderBy: { id: "asc" } })).map((u) => Number(u.id));

describe("POST /api/users", () => {
  it("answers 201 with the created user, a numeric id and the default role", async () => {
    const response = await post({ token: adminToken, body: alice });

    expect(response.status, "a created user answers 201").toBe(201);
    const body = await response.json();
    expect(body).toEqual({ user: { id: expect.any(Number), name: "Alice", email: "alice@example.com", role: "user" } });
    const row = await prisma.user.findUnique({ where: { email: "alice@example.com" } });
    expect(row?.id, "the id in the body must be the new row's id").toBe(BigInt(body.user.id));
  });

  it("creates an admin when the body asks for role admin", async () => {
    const response = await post({ token: adminToken, body: { ...alice, role: "admin" } });

    expect(response.status).toBe(201);
    expect((await response.json()).user?.role).toBe("admin");
    expect((await prisma.user.findUnique({ where: { email: alice.email } }))?.role).toBe("admin");
  });

  it("stores the email trimmed and lower-cased", async () => {
    const response = await post({ token: adminToken, body: { name: "Bob", email: "  Bob@Example.COM " } });

    expect((await response.json()).user?.email).toBe("bob@example.com");
    expect(await prisma.user.findUnique({ where: { email: "bob@example.com" } })).not.toBeNull();
  });

  it("answers 400 VALIDATION_ERROR with the field's message for an invalid email, and writes nothing", async () => {
    const response = await post({ token: adminToken, body: { name: "Alice", email: "not-an-email" } });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { code: "VALIDATION_ERROR", details: { email: ["Enter a valid email"] } },
    });
    expect(await userCount(), "only the admin every test starts with").toBe(1);
  });

  it.each([
    ["a missing name", { email: "alice@example.com" }, "name"],
    ["an unknown role", { ...alice, role: "owner" }, "role"],
    ["an unknown field isAdmin", { ...alice, isAdmin: true }, "isAdmin"],
    ["an unknown field id", { ...alice, id: 7 }, "id"],
  ])("answers 400 for %s, names the field, and writes nothing", async (_, body, field) => {
    const response = await post({ token: adminToken, body });

    expect(response.status).toBe(400);
    const { error } = await response.json();
    expect(error.code).toBe("VALIDATION_ERROR");
    expect(Object.keys(error.details), `details must name "${field}"`).toEqual([field]);
    expect(await userCount(), "a rejected body must not create a user").toBe(1);
  });

  it.each([
    ["malformed JSON", '{"name": "Alice",', "Malformed JSON body"],
    ["an empty body", "", "Request body is required"],
  ])("answers 400 VALIDATION_ERROR for %s", async (_, rawBody, message) => {
    const response = await post({ token: adminToken, rawBody, headers: { "content-type": "application/json" } });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "VALIDATION_ERROR", message } });
  });

  it("answers 413 PAYLOAD_TOO_LARGE for a body over 64 KiB, and writes nothing", async () => {
    const response = await post({ token: adminToken, body: { ...alice, name: "x".repeat(64 * 1024) } });

    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE" } });
    expect(await userCount()).toBe(1);
  });

  it("answers 409 EMAIL_EXISTS when the email is taken", async () => {
    await insertUser({ name: "Alice", email: "alice@example.com" });

    const response = await post({ token: adminToken, body: alice });

    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ error: { code: "EMAIL_EXISTS", message: "Email already exists" } });
  });

  it("answers 409 for an email that differs from a taken one only in case and spaces", async () => {
    await insertUser({ name: "Alice", email: "alice@example.com" });

    const response = await post({ token: adminToken, body: { name: "Alice", email: " ALICE@example.com" } });

    expect(response.status).toBe(409);
  });

  it("answers one of two simultaneous creates with 201 and the other with a clean 409, never 500", async () => {
    // Both requests check the email before either writes, as two requests on a busy server can:
    // only the unique index stops the second insert.
    const bothChecked = barrier(2);
    const findByEmail = userRepository.findByEmail;
    vi.spyOn(userRepository, "findByEmail").mockImplementation(async (email) => {
      const found = await findByEmail(email);
      await bothChecked.wait();
      return found;
    });

    // A request that ends without checking must not leave the other one waiting forever.
    const create = (body: object) => post({ token: adminToken, body }).finally(bothChecked.open);
    const [first, second] = await Promise.all([create(alice), create({ ...alice, name: "Alice Again" })]);

    expect([first.status, second.status].sort()).toEqual([201, 409]);
    const text = await (first.status === 409 ? first : second).text();
    expect(JSON.parse(text)).toMatchObject({ error: { code: "EMAIL_EXISTS", message: "Email already exists" } });
    expect(text, "a 409 must not leak the database's own error").not.toMatch(
      /unique constraint|P2002|prisma|sqlite|insert|select/i,
    );
    expect(await prisma.user.count({ where: { email: alice.email } })).toBe(1);
  });
});

describe("POST /api/users checks the caller before reading the body", () => {
  const otherSecret = "a-different-secret-that-is-long-enough-0123";
  const oneMinuteAgo = () => Math.floor(Date.now() / 1000) - 60;
  const badTokens: [string, () => Promise<string | undefined>][] = [
    ["no token", async () => undefined],
    ["a token that is not a JWT", async () => "not-a-jwt"],
    ["a token signed with another secret", () => tokenFor(admin, { secret: otherSecret })],
    ["an expired token", () => tokenFor(admin, { expiresIn: oneMinuteAgo() })],
  ];

  it.each(badTokens)(
    "answers 401 for %s, even with an invalid body, and shows no validation details",
    async (_, makeToken) => {
      const response = await post({ token: await makeToken(), body: { email: "not-an-email", isAdmin: true } });

      expect(response.status, "authentication comes before validation").toBe(401);
      expect(await response.json(), "a 401 must tell an anonymous caller nothing about the schema").toEqual({
        error: { code: "UNAUTHORIZED", message: "Missing or invalid token", requestId: expect.any(String) },
      });
    },
  );

  it.each([
    ["malformed JSON", { rawBody: "{oops" }],
    ["a body over 64 KiB", { body: { ...alice, name: "x".repeat(70 * 1024) } }],
  ])("answers 401 to an anonymous caller sending %s: the body is never read", async (_, options) => {
    const response = await post(options);

    expect(response.status).toBe(401);
  });

  it("answers 401 for a valid token of a user who has since been deleted", async () => {
    const gone = await insertUser({ email: "gone@example.com", role: "admin" });
    const token = await tokenFor(gone);
    await deleteUser(gone.id);

    const response = await post({ token, body: alice });

    expect(response.status).toBe(401);
    expect(await userCount()).toBe(1);
  });

  it("answers 403 FORBIDDEN to a non-admin, even with an invalid body, and writes nothing", async () => {
    const user = await insertUser({ email: "user@example.com" });

    const response = await post({ token: await tokenFor(user), body: { email: "not-an-email" } });

    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      error: { code: "FORBIDDEN", message: "Insufficient permissions", requestId: expect.any(String) },
    });
    expect(await userCount()).toBe(2);
  });
});

describe("GET /api/users", () => {
  it("answers 200 with the users oldest first, and nextCursor null when they all fit", async () => {
    const bob = await insertUser({ name: "Bob", email: "bob@example.com" });

    const response = await list();

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      users: [
        { id: Number(admin.id), name: "Ada", email: "admin@example.com", role: "admin" },
        { id: Number(bob.id), name: "Bob", email: "bob@example.com", role: "user" },
      ],
      nextCursor: null,
    });
  });

  it("sends ids as JSON numbers, not strings", async () => {
    const text = await (await list()).text();

    expect(text).toMatch(/"id":\d+/);
    expect(text).not.toMatch(/"id":"/);
  });

  it("returns 20 users on a page by default, and the last one's id as nextCursor", async () => {
    await createUsers(24);

    const body = await (await list()).json();

    expect(body.users).toHaveLength(20);
    expect(body.nextCursor, "nextCursor is the last listed id, as a number").toBe(body.users[19].id);
  });

  it.each([
    [1, 1],
    [100, 100],
  ])("accepts limit=%i and returns that many users", async (limit, expected) => {
    await createUsers(101);

    const body = await (await list(`?limit=${limit}`)).json();

    expect(body.users).toHaveLength(expected);
    expect(typeof body.nextCursor).toBe("number");
  });

  it.each(["0", "101", "abc", "-1", "1.5", ""])("answers 400 VALIDATION_ERROR for limit=%j", async (limit) => {
    const response = await list(`?limit=${limit}`);

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { code: "VALIDATION_ERROR", details: { limit: [expect.any(String)] } },
    });
  });

  it.each([
    ["a cursor that is not an id", "?cursor=abc", "cursor"],
    ["an unknown parameter", "?sort=name", "sort"],
    ["a repeated parameter", "?limit=1&limit=2", "limit"],
  ])("answers 400 VALIDATION_ERROR for %s", async (_, query, field) => {
    const response = await list(query);

    expect(response.status).toBe(400);
    expect(Object.keys((await response.json()).error?.details ?? {}), "the fields named in error.details").toEqual([
      field,
    ]);
  });

  it("walks every user exactly once by following nextCursor, and ends with nextCursor null", async () => {
    await createUsers(6);
    const seen: number[] = [];
    let cursor: number | null = null;
    let pages = 0;

    do {
      const body: { users: { id: number }[]; nextCursor: number | null } = await (
        await list(`?limit=3${cursor === null ? "" : `&cursor=${cursor}`}`)
      ).json();
      seen.push(...body.users.map((u) => u.id));
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 10);

    expect(seen, "every user once, in id order").toEqual(await allIds());
    expect(pages, "7 users at 3 a page").toBe(3);
  });

  it("answers nextCursor null when the last page is exactly full", async () => {
    await createUsers(5);
    const first = await (await list("?limit=3")).json();

    const second = await (await list(`?limit=3&cursor=${first.nextCursor}`)).json();

    expect(second.users).toHaveLength(3);
    expect(second.nextCursor).toBeNull();
  });

  it("shows a user created through POST right after it was created", async () => {
    await list();
    await post({ token: adminToken, body: alice });

    const body = await (await list()).json();

    expect(
      body.users.map((u: { email: string }) => u.email),
      "the cached page must be dropped on a write",
    ).toContain("alice@example.com");
  });

  it("answers 401 to a caller without a token", async () => {
    const response = await list("", {});

    expect(response.status).toBe(401);
    expect((await response.json()).error?.code).toBe("UNAUTHORIZED");
  });

  it("answers 401 before validating the query of a caller without a token", async () => {
    const response = await list("?limit=abc", {});

    expect(response.status).toBe(401);
  });

  it("answers 403 FORBIDDEN to a non-admin, even with an invalid query", async () => {
    const user = await insertUser({ email: "user@example.com" });

    const response = await list("?limit=abc", { token: await tokenFor(user) });

    expect(response.status).toBe(403);
    expect((await response.json()).error?.code).toBe("FORBIDDEN");
  });
});

describe("every /api/users response carries a request id", () => {
  const cases: [string, number, () => Promise<Response>][] = [
    ["a created user", 201, () => post({ token: adminToken, body: alice })],
    ["a list", 200, () => list()],
    ["a validation error", 400, () => post({ token: adminToken, body: {} })],
    ["a missing token", 401, () => list("", {})],
    [
      "a forbidden call",
      403,
      async () => list("", { token: await tokenFor(await insertUser({ email: "u@example.com" })) }),
    ],
    ["a conflict", 409, () => post({ token: adminToken, body: { name: "Ada", email: "admin@example.com" } })],
  ];

  it.each(cases)("sets x-request-id on %s (%i)", async (_, status, call) => {
    const response = await call();

    expect(response.status).toBe(status);
    expect(response.headers.get("x-request-id"), "every response needs a UUID in its x-request-id header").toEqual(
      expect.stringMatching(UUID),
    );
    if (status >= 400) {
      expect((await response.json()).error?.requestId, "the error body names the same request id").toBe(
        response.headers.get("x-request-id"),
      );
    }
  });

  it("keeps a safe request id sent by the client", async () => {
    const response = await list("", { token: adminToken, headers: { "x-request-id": "trace-42" } });

    expect(response.headers.get("x-request-id")).toBe("trace-42");
  });
});
