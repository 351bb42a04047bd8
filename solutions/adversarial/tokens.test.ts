import { SignJWT } from "jose";
import { beforeEach, describe, expect, it } from "vitest";
import { GET as listUsers, POST as createUser } from "@/app/api/users/route";
import { DELETE as deleteUser, GET as getUser, PATCH as updateUser } from "@/app/api/users/[id]/route";
import { signToken, TOKEN_AUDIENCE, TOKEN_ISSUER } from "@/lib/auth";
import { authSecret } from "@/lib/config";
import { prisma } from "@/lib/prisma";
import { createUser as insertUser, json, params, request, resetUsers, tokenFor } from "@/testing/fixtures";

// Every way a caller might try to get past authentication or authorization. Each refusal of
// one kind must look exactly like every other (a caller learns nothing from the difference),
// and no field of any body can raise a caller's role.

const REQUEST_ID = "token-test";
const OTHER_SECRET = "not-the-server-secret-but-just-as-long-0123456789";
const encode = (secret: string) => new TextEncoder().encode(secret);
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

type People = { admin: { id: bigint }; alice: { id: bigint }; bob: { id: bigint } };
let people: People;

beforeEach(async () => {
  await resetUsers();
  people = {
    admin: await insertUser({ name: "Ada", email: "admin@example.com", role: "admin" }),
    alice: await insertUser({ name: "Alice", email: "alice@example.com" }),
    bob: await insertUser({ name: "Bob", email: "bob@example.com" }),
  };
});

function claimsFor(id: bigint, extra: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return { sub: String(id), iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, iat: now, exp: now + 3600, ...extra };
}

function signed(claims: Record<string, unknown>, { secret = authSecret(), alg = "HS256" } = {}) {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: "JWT" }).sign(encode(secret));
}

/** A real token of `id` whose payload was swapped for `claims`, keeping the original signature. */
async function tampered(id: bigint, claims: Record<string, unknown>): Promise<string> {
  const [header, , signature] = (await tokenFor({ id })).split(".");
  return `${header}.${base64url(claims)}.${signature}`;
}

/** Alice reading herself, with the Authorization header given (or none). */
async function aliceReadsHerself(authorization: string | undefined): Promise<Response> {
  const headers: Record<string, string> = { "x-request-id": REQUEST_ID };
  if (authorization !== undefined) headers.authorization = authorization;
  const id = String(people.alice.id);
  return getUser(request("GET", `/api/users/${id}`, { headers }), params({ id }));
}

// [what the caller sent, how to build the Authorization header]
const UNAUTHENTICATED: [string, () => Promise<string | undefined>][] = [
  ["no Authorization header", async () => undefined],
  ["a token without a scheme", async () => tokenFor(people.alice)],
  ["a Basic scheme", async () => `Basic ${Buffer.from("alice:password").toString("base64")}`],
  ["the token under another scheme", async () => `Token ${await tokenFor(people.alice)}`],
  ["an empty token", async () => "Bearer "],
  ["the scheme alone", async () => "Bearer"],
  ["garbage", async () => "Bearer not-a-token"],
  ["three empty segments", async () => "Bearer .."],
  ["a token split by a tab", async () => `Bearer\t${await tokenFor(people.alice)}`],
  ["two tokens", async () => `Bearer ${await tokenFor(people.alice)} ${await tokenFor(people.admin)}`],
  [
    "alg: none",
    async () => `Bearer ${base64url({ alg: "none", typ: "JWT" })}.${base64url(claimsFor(people.alice.id))}.`,
  ],
  ["HS512 with the right secret", async () => `Bearer ${await signed(claimsFor(people.alice.id), { alg: "HS512" })}`],
  ["the wrong secret", async () => `Bearer ${await tokenFor(people.alice, { secret: OTHER_SECRET })}`],
  ["an expired token", async () => `Bearer ${await tokenFor(people.alice, { expiresIn: -60 })}`],
  ["a token not valid yet", async () => `Bearer ${await tokenFor(people.alice, { notBefore: "10m" })}`],
  [
    "no expiry",
    async () => `Bearer ${await signed({ sub: String(people.alice.id), iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE })}`,
  ],
  ["another issuer", async () => `Bearer ${await signed(claimsFor(people.alice.id, { iss: "someone-else" }))}`],
  ["another audience", async () => `Bearer ${await signed(claimsFor(people.alice.id, { aud: "other-api" }))}`],
  ["a subject that is not an id", async () => `Bearer ${await signed(claimsFor(people.alice.id, { sub: "alice" }))}`],
  ["subject 0", async () => `Bearer ${await signed(claimsFor(0n))}`],
  ["a subject past 2^53", async () => `Bearer ${await signed(claimsFor(9007199254740993n))}`],
  [
    "a payload tampered to say role admin",
    async () => `Bearer ${await tampered(people.alice.id, claimsFor(people.alice.id, { role: "admin" }))}`,
  ],
  [
    "a payload tampered to be the admin",
    async () => `Bearer ${await tampered(people.alice.id, claimsFor(people.admin.id))}`,
  ],
  [
    "a payload tampered to expire later",
    async () => `Bearer ${await tampered(people.alice.id, claimsFor(people.alice.id, { exp: 4102444800 }))}`,
  ],
];

describe("authentication", () => {
  it.each(UNAUTHENTICATED)("answers 401 for %s", async (_, authorization) => {
    const response = await aliceReadsHerself(await authorization());

    expect(response.status).toBe(401);
  });

  it("answers every 401 with the same body", async () => {
    const bodies = new Set<string>();
    for (const [, authorization] of UNAUTHENTICATED)
      bodies.add(await (await aliceReadsHerself(await authorization())).text());
    bodies.add(await (await aliceReadsHerself(`Bearer ${await tokenFor({ id: 424242n })}`)).text());

    expect([...bodies]).toEqual([
      JSON.stringify({ error: { code: "UNAUTHORIZED", message: "Missing or invalid token", requestId: REQUEST_ID } }),
    ]);
  });

  it("answers 401 to the token of a user deleted since it was issued", async () => {
    const token = await tokenFor(people.bob);
    await prisma.user.delete({ where: { id: people.bob.id } });

    const id = String(people.bob.id);
    const response = await getUser(request("GET", `/api/users/${id}`, { token }), params({ id }));

    expect(response.status).toBe(401);
  });

  it.each([["bearer"], ["BEARER"], ["BeArEr"]])("accepts a valid token under the scheme spelled %s", async (scheme) => {
    const response = await aliceReadsHerself(`${scheme} ${await tokenFor(people.alice)}`);

    expect(response.status).toBe(200);
    expect((await json(response)).user?.email).toBe("alice@example.com");
  });

  it("accepts a valid token with a signed role claim but reads the role from the database", async () => {
    const token = await signed(claimsFor(people.alice.id, { role: "admin" }));

    const response = await listUsers(request("GET", "/api/users", { token }), params({}));

    expect(response.status).toBe(403);
  });
});

describe("authorization", () => {
  const aliceTries: [string, (token: string) => Promise<Response>][] = [
    [
      "GET /api/users",
      (token) =>
        listUsers(request("GET", "/api/users", { token, headers: { "x-request-id": REQUEST_ID } }), params({})),
    ],
    [
      "POST /api/users",
      (token) =>
        createUser(
          request("POST", "/api/users", {
            token,
            body: { name: "Eve", email: "eve@example.com" },
            headers: { "x-request-id": REQUEST_ID },
          }),
          params({}),
        ),
    ],
    [
      "GET another user",
      (token) =>
        getUser(
          request("GET", `/api/users/${people.bob.id}`, { token, headers: { "x-request-id": REQUEST_ID } }),
          params({ id: String(people.bob.id) }),
        ),
    ],
    [
      "PATCH another user",
      (token) =>
        updateUser(
          request("PATCH", `/api/users/${people.bob.id}`, {
            token,
            body: { name: "Hacked" },
            headers: { "x-request-id": REQUEST_ID },
          }),
          params({ id: String(people.bob.id) }),
        ),
    ],
    [
      "DELETE another user",
      (token) =>
        deleteUser(
          request("DELETE", `/api/users/${people.bob.id}`, { token, headers: { "x-request-id": REQUEST_ID } }),
          params({ id: String(people.bob.id) }),
        ),
    ],
    [
      "DELETE herself",
      (token) =>
        deleteUser(
          request("DELETE", `/api/users/${people.alice.id}`, { token, headers: { "x-request-id": REQUEST_ID } }),
          params({ id: String(people.alice.id) }),
        ),
    ],
  ];

  it.each(aliceTries)("answers 403 to a user's token on %s, changing nothing", async (_, attempt) => {
    const before = await prisma.user.findMany({ orderBy: { id: "asc" } });

    const response = await attempt(await tokenFor(people.alice));

    expect(response.status).toBe(403);
    expect(await prisma.user.findMany({ orderBy: { id: "asc" } })).toEqual(before);
  });

  it("answers every 403 with the same body", async () => {
    const token = await tokenFor(people.alice);
    const bodies = new Set<string>();
    for (const [, attempt] of aliceTries) bodies.add(await (await attempt(token)).text());

    expect([...bodies]).toEqual([
      JSON.stringify({ error: { code: "FORBIDDEN", message: "Insufficient permissions", requestId: REQUEST_ID } }),
    ]);
  });

  it("takes admin routes away from a demoted admin at once, although the token is unchanged", async () => {
    const second = await insertUser({ email: "second-admin@example.com", role: "admin" });
    const token = await tokenFor(second);
    await prisma.user.update({ where: { id: second.id }, data: { role: "user" } });

    const response = await listUsers(request("GET", "/api/users", { token }), params({}));

    expect(response.status).toBe(403);
  });
});

describe("no role escalation through a body", () => {
  const bodies: [string, string][] = [
    ["role", '{"role":"admin"}'],
    ["role beside a name", '{"name":"Queen Alice","role":"admin"}'],
    ["__proto__.role", '{"__proto__":{"role":"admin"}}'],
    ["__proto__.role beside a name", '{"name":"Queen Alice","__proto__":{"role":"admin"}}'],
    ["constructor.prototype.role", '{"constructor":{"prototype":{"role":"admin"}}}'],
    ["a capitalised Role", '{"Role":"admin"}'],
    ["a role with a trailing space", '{"role ":"admin"}'],
    ["role in upper case", '{"role":"ADMIN"}'],
    ["role as a list", '{"role":["admin"]}'],
    ["roles", '{"roles":["admin"]}'],
    ["isAdmin", '{"isAdmin":true}'],
    ["a nested user", '{"user":{"role":"admin"}}'],
    ["an id", `{"id":1,"name":"Queen Alice"}`],
    ["role given twice, admin last", '{"role":"user","role":"admin"}'],
  ];

  it.each(bodies)("refuses a user's PATCH of herself with %s, leaving her a plain user", async (_, rawBody) => {
    const token = await tokenFor(people.alice);
    const id = String(people.alice.id);

    const response = await updateUser(request("PATCH", `/api/users/${id}`, { token, rawBody }), params({ id }));

    expect([400, 403]).toContain(response.status);
    expect(await prisma.user.findUniqueOrThrow({ where: { id: people.alice.id } })).toMatchObject({
      name: "Alice",
      role: "user",
    });
    const adminOnly = await listUsers(request("GET", "/api/users", { token }), params({}));
    expect(adminOnly.status).toBe(403);
  });

  it("refuses a user's POST of a new admin", async () => {
    const token = await tokenFor(people.alice);

    const response = await createUser(
      request("POST", "/api/users", { token, body: { name: "Sock", email: "sock@example.com", role: "admin" } }),
      params({}),
    );

    expect(response.status).toBe(403);
    expect(await prisma.user.count({ where: { email: "sock@example.com" } })).toBe(0);
  });
});

describe("the token helpers the tests rely on", () => {
  it("sign tokens that the API accepts, so every refusal above is the attack's doing", async () => {
    const token = await signed(claimsFor(people.alice.id));

    expect((await aliceReadsHerself(`Bearer ${token}`)).status).toBe(200);
    expect((await aliceReadsHerself(`Bearer ${await signToken(people.alice)}`)).status).toBe(200);
  });
});
