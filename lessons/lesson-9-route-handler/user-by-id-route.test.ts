import { describe, expect, it } from "vitest";
import { prisma } from "@/lib/prisma";
import { insertUser, surfaceServerErrors, params, request, tokenFor, type RequestOptions } from "@/testing/fixtures";
import { startEachTestFrom } from "@/testing/users-each-test";
import { DELETE, GET, PATCH } from "./user-by-id-route";

// A 500 fails the test with what the handler threw, not just "Unexpected error".
const send = surfaceServerErrors();

type Id = bigint | number | string;
type Row = Awaited<ReturnType<typeof insertUser>>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MISSING_ID = "999999";

let admin: Row;
let adminToken: string;
let alice: Row;
let aliceToken: string;
let bob: Row;

// Ada the admin, Alice and Bob, made once for this file and put back before each test.
startEachTestFrom(async () => {
  admin = await insertUser({ name: "Ada", email: "admin@example.com", role: "admin" });
  adminToken = await tokenFor(admin);
  alice = await insertUser({ name: "Alice", email: "alice@example.com" });
  aliceToken = await tokenFor(alice);
  bob = await insertUser({ name: "Bob", email: "bob@example.com" });
});

const at = (id: Id) => `/api/users/${id}`;
const get = (id: Id, token?: string) => send(GET(request("GET", at(id), { token }), params({ id: String(id) })));
const patch = (id: Id, options: RequestOptions) =>
  send(PATCH(request("PATCH", at(id), options), params({ id: String(id) })));
const remove = (id: Id, token?: string) =>
  send(DELETE(request("DELETE", at(id), { token }), params({ id: String(id) })));

const row = (id: bigint) => prisma.user.findUnique({ where: { id } });
const dto = (user: Row) => ({ id: Number(user.id), name: user.name, email: user.email, role: user.role });

describe("GET /api/users/[id]", () => {
  it("answers 200 with the user to an admin, its id a JSON number", async () => {
    const response = await get(alice.id, adminToken);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ user: dto(alice) });
  });

  it("answers 200 to a user reading themselves", async () => {
    const response = await get(alice.id, aliceToken);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ user: dto(alice) });
  });

  it("answers 403 FORBIDDEN to a user reading someone else", async () => {
    const response = await get(bob.id, aliceToken);

    expect(response.status).toBe(403);
    expect((await response.json()).error?.code).toBe("FORBIDDEN");
  });

  it("answers 403, not 404, to a user asking for an id that does not exist: existence is not leaked", async () => {
    const response = await get(MISSING_ID, aliceToken);

    expect(response.status).toBe(403);
  });

  it("waits for params, which Next 16 passes as a Promise", async () => {
    const later = { params: Promise.resolve().then(() => ({ id: String(alice.id) })) };

    const response = await send(GET(request("GET", at(alice.id), { token: adminToken }), later));

    expect((await response.json()).user?.id).toBe(Number(alice.id));
  });

  it("shows a change made through PATCH right after it (the cached user is dropped)", async () => {
    await get(alice.id, adminToken);
    await patch(alice.id, { token: adminToken, body: { name: "Alice Liddell" } });

    const response = await get(alice.id, adminToken);

    expect((await response.json()).user?.name).toBe("Alice Liddell");
  });
});

describe("PATCH /api/users/[id]", () => {
  it("lets a user change their own name and email, trimmed and lower-cased", async () => {
    const response = await patch(alice.id, {
      token: aliceToken,
      body: { name: " Alice L. ", email: " Alice.L@Example.com" },
    });

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      user: { id: Number(alice.id), name: "Alice L.", email: "alice.l@example.com", role: "user" },
    });
    expect(await row(alice.id)).toMatchObject({ name: "Alice L.", email: "alice.l@example.com" });
  });

  it("lets a user send their own email unchanged", async () => {
    const response = await patch(alice.id, { token: aliceToken, body: { email: "alice@example.com" } });

    expect(response.status).toBe(200);
  });

  it("answers 403 to a user changing someone else, and changes nothing", async () => {
    const response = await patch(bob.id, { token: aliceToken, body: { name: "Mallory" } });

    expect(response.status).toBe(403);
    expect((await row(bob.id))?.name).toBe("Bob");
  });

  it("answers 403 to a user sending a role, even their own, and leaves the role unchanged", async () => {
    const response = await patch(alice.id, { token: aliceToken, body: { role: "admin" } });

    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({
      error: { code: "FORBIDDEN", message: "Only admins can change roles" },
    });
    expect((await row(alice.id))?.role, "a user must never promote themselves").toBe("user");
  });

  it("lets an admin change a user's role", async () => {
    const response = await patch(alice.id, { token: adminToken, body: { role: "admin" } });

    expect(response.status).toBe(200);
    expect((await response.json()).user?.role).toBe("admin");
    expect((await row(alice.id))?.role).toBe("admin");
  });

  it("lets an admin demote another admin while one admin remains", async () => {
    const second = await insertUser({ email: "second@example.com", role: "admin" });

    const response = await patch(admin.id, { token: await tokenFor(second), body: { role: "user" } });

    expect(response.status).toBe(200);
    expect((await row(admin.id))?.role).toBe("user");
  });

  it("answers 409 CONFLICT when the last admin would be demoted, and keeps them admin", async () => {
    const response = await patch(admin.id, { token: adminToken, body: { role: "user" } });

    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({
      error: { code: "CONFLICT", message: "The last admin cannot be removed or demoted" },
    });
    expect((await row(admin.id))?.role).toBe("admin");
  });

  it("answers 409 EMAIL_EXISTS for an email another user has", async () => {
    const response = await patch(alice.id, { token: aliceToken, body: { email: "BOB@example.com" } });

    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ error: { code: "EMAIL_EXISTS", message: "Email already exists" } });
    expect((await row(alice.id))?.email).toBe("alice@example.com");
  });

  it.each([
    ["an unknown field isAdmin", { name: "Alice", isAdmin: true }, "isAdmin"],
    ["an unknown field id", { name: "Alice", id: 1 }, "id"],
    ["an invalid email", { email: "nope" }, "email"],
    ["an empty object", {}, "_root"],
  ])("answers 400 VALIDATION_ERROR for %s, and writes nothing", async (_, body, field) => {
    const response = await patch(alice.id, { token: adminToken, body });

    expect(response.status).toBe(400);
    const { error } = await response.json();
    expect(error.code).toBe("VALIDATION_ERROR");
    expect(Object.keys(error.details), `details must name "${field}"`).toEqual([field]);
    expect(await row(alice.id)).toMatchObject({
      id: alice.id,
      name: "Alice",
      email: "alice@example.com",
      role: "user",
    });
  });

  it("answers 400 for malformed JSON", async () => {
    const response = await patch(alice.id, { token: adminToken, rawBody: '{"name":' });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { code: "VALIDATION_ERROR", message: "Malformed JSON body" },
    });
  });

  it("answers 413 for a body over 64 KiB, and writes nothing", async () => {
    const response = await patch(alice.id, { token: adminToken, body: { name: "x".repeat(64 * 1024 + 1) } });

    expect(response.status).toBe(413);
    expect((await row(alice.id))?.name).toBe("Alice");
  });

  it("answers 400 for an invalid id before reading the body, even one over 64 KiB", async () => {
    const response = await patch("abc", { token: adminToken, body: { name: "x".repeat(64 * 1024 + 1) } });

    expect(response.status, "the id comes before the body: a request for an id that cannot exist is not read").toBe(
      400,
    );
    expect(await response.json()).toMatchObject({
      error: { code: "VALIDATION_ERROR", details: { id: [expect.any(String)] } },
    });
  });

  it("answers 401 to a caller without a token, before reading an invalid body", async () => {
    const response = await patch(alice.id, { body: { role: "admin", isAdmin: true } });

    expect(response.status).toBe(401);
    expect((await response.json()).error, "a 401 must say nothing about the schema").not.toHaveProperty("details");
  });
});

describe("DELETE /api/users/[id]", () => {
  it("answers 204 with an empty body, and a later GET answers 404", async () => {
    await get(alice.id, adminToken);

    const response = await remove(alice.id, adminToken);

    expect(response.status).toBe(204);
    expect(await response.text(), "a 204 has no body at all").toBe("");
    expect(await row(alice.id)).toBeNull();
    expect((await get(alice.id, adminToken)).status, "the cached user must be dropped on delete").toBe(404);
  });

  it.each([
    ["someone else", () => bob.id],
    ["themselves", () => alice.id],
  ])("answers 403 to a non-admin deleting %s, and deletes nothing", async (_, target) => {
    const response = await remove(target(), aliceToken);

    expect(response.status).toBe(403);
    expect(await row(target())).not.toBeNull();
  });

  it("lets an admin delete another admin while one admin remains", async () => {
    const second = await insertUser({ email: "second@example.com", role: "admin" });

    const response = await remove(second.id, adminToken);

    expect(response.status).toBe(204);
  });

  it("answers 409 CONFLICT when the last admin would be deleted, and keeps them", async () => {
    const response = await remove(admin.id, adminToken);

    expect(response.status).toBe(409);
    expect((await response.json()).error?.code).toBe("CONFLICT");
    expect(await row(admin.id)).not.toBeNull();
  });

  it("answers 401 to the token of a user who has been deleted", async () => {
    await remove(alice.id, adminToken);

    const response = await get(alice.id, aliceToken);

    expect(response.status).toBe(401);
  });
});

describe("every /api/users/[id] method", () => {
  const methods: [string, (id: Id, token?: string) => Promise<Response>][] = [
    ["GET", (id, token) => get(id, token)],
    ["PATCH", (id, token) => patch(id, { token, body: { name: "Changed" } })],
    ["DELETE", (id, token) => remove(id, token)],
  ];
  const badIds = ["abc", "-1", "1.5", "0", "1".repeat(25), "9007199254740993", "01", " 1"];

  it.each(methods.flatMap(([method, call]) => badIds.map((id) => [method, id, call] as const)))(
    "%s answers 400 VALIDATION_ERROR, never 500, for the id %j",
    async (_, id, call) => {
      const response = await call(id, adminToken);

      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        error: { code: "VALIDATION_ERROR", details: { id: [expect.any(String)] } },
      });
    },
  );

  it.each(methods)("%s answers 404 NOT_FOUND for an id nobody has", async (_, call) => {
    const response = await call(MISSING_ID, adminToken);

    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: "NOT_FOUND", message: "User not found" } });
  });

  it.each(methods)("%s answers 401 without a token, with the same message as for a bad token", async (_, call) => {
    const [missing, bad] = [await call(alice.id), await call(alice.id, "not-a-jwt")];

    expect([missing.status, bad.status]).toEqual([401, 401]);
    expect((await missing.json()).error?.message).toBe((await bad.json()).error?.message);
  });

  it.each(methods)("%s answers 401, not 400, to a caller without a token asking for an invalid id", async (_, call) => {
    const response = await call("abc");

    expect(response.status, "authentication comes before validation").toBe(401);
  });

  it.each(methods)("%s sets x-request-id and names it in an error body", async (_, call) => {
    const response = await call(MISSING_ID, adminToken);

    expect(response.headers.get("x-request-id"), "every response needs a UUID in its x-request-id header").toEqual(
      expect.stringMatching(UUID),
    );
    expect((await response.json()).error?.requestId, "the error body names the same request id").toBe(
      response.headers.get("x-request-id"),
    );
  });

  it.each([
    ["GET", 200, () => get(alice.id, adminToken)],
    ["PATCH", 200, () => patch(alice.id, { token: adminToken, body: { name: "A" } })],
    ["DELETE", 204, () => remove(alice.id, adminToken)],
  ] as const)("%s sets x-request-id on a success (%i)", async (_, status, call) => {
    const response = await call();

    expect(response.status).toBe(status);
    expect(response.headers.get("x-request-id"), "every response needs a UUID in its x-request-id header").toEqual(
      expect.stringMatching(UUID),
    );
  });
});
