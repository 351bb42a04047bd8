import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { authSecret } from "@/lib/config";
import { ApiError } from "@/lib/errors";
import type { User } from "@/repositories/user-repository";
import type { Role } from "@/schemas/user";
import { changeRole, deleteUser, insertUser, resetUsers } from "@/testing/fixtures";
import { authenticate, authorize, bearerToken, signToken, verifyToken, type AuthUser } from "./auth";

// The real authSecret, wrapped so one test can make it fail the way a misconfigured server does.
vi.mock("@/lib/config", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@/lib/config")>();
  return { ...actual, authSecret: vi.fn(actual.authSecret) };
});

const ISSUER = "backend-patterns-workbook";
const AUDIENCE = "users-api";
const SECRET = authSecret();
const OTHER_SECRET = "someone-else's-secret-0123456789abcdef";
const key = (secret: string) => new TextEncoder().encode(secret);
const nowSeconds = () => Math.floor(Date.now() / 1000);
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

type Claims = Record<string, unknown>;

/** The claims of a good token for user 42; an override of `undefined` leaves that claim out. */
function claims(overrides: Claims = {}): Claims {
  const all: Claims = {
    sub: "42",
    iss: ISSUER,
    aud: AUDIENCE,
    iat: nowSeconds(),
    exp: nowSeconds() + 3600,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(all).filter(([, value]) => value !== undefined));
}

/** A token built without the code under test, so each test checks one function only. */
function token(payload: Claims = claims(), { secret = SECRET, alg = "HS256" } = {}): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, typ: "JWT" }).sign(key(secret));
}

/** The classic forgery: a token that says it needs no signature at all. */
function unsignedToken(payload: Claims = claims()): string {
  return `${base64url({ alg: "none", typ: "JWT" })}.${base64url(payload)}.`;
}

/** A genuine token for user 42 whose payload was then changed to say user 1; signature kept. */
async function tamperedToken(): Promise<string> {
  const [header, , signature] = (await token()).split(".");
  return `${header}.${base64url(claims({ sub: "1", role: "admin" }))}.${signature}`;
}

function userRow(id: bigint, role: Role, email = `user${id}@example.com`): User {
  return { id, name: `User ${id}`, email, role, createdAt: new Date(0), updatedAt: new Date(0) };
}

/** An in-memory stand-in for the repository: user 42 is a plain user, user 1 an admin. */
function fakeUsers(rows: User[] = [userRow(42n, "user", "ada@example.com"), userRow(1n, "admin")]) {
  const byId = new Map(rows.map((row) => [row.id, row]));
  return { findById: vi.fn(async (id: bigint) => byId.get(id) ?? null) };
}

function requestWith(authorization?: string): Request {
  return new Request("http://localhost/api/users", { headers: authorization === undefined ? {} : { authorization } });
}

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => expect.fail("expected authenticate() to reject"),
    (e: unknown) => e,
  );
  expect(error, "authenticate() must reject with an ApiError").toBeInstanceOf(ApiError);
  return error as ApiError;
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return expect.fail("expected authorize() to throw");
}

afterEach(() => {
  vi.useRealTimers();
});

describe("signToken", () => {
  it("signs an HS256 JWT whose subject is the user id", async () => {
    const signed = await signToken({ id: 42n });
    expect(decodeProtectedHeader(signed)).toEqual({ alg: "HS256", typ: "JWT" });
    const { payload } = await jwtVerify(signed, key(SECRET), { algorithms: ["HS256"] });
    expect(payload.sub).toBe("42");
  });

  it("names this API as the token's issuer and audience", async () => {
    const { payload } = await jwtVerify(await signToken({ id: 42n }), key(SECRET));
    expect([payload.iss, payload.aud]).toEqual([ISSUER, AUDIENCE]);
  });

  it("records when it was issued and expires one hour later by default", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2030-01-01T00:00:00Z") });
    const { payload } = await jwtVerify(await signToken({ id: 42n }), key(SECRET));
    expect(payload.iat).toBe(nowSeconds());
    expect(payload.exp, "exp must be one hour (3600 s) after iat").toBe(nowSeconds() + 3600);
  });

  it("expires after the lifetime it is given", async () => {
    const { payload } = await jwtVerify(await signToken({ id: 42n }, { expiresIn: "15m" }), key(SECRET));
    expect(payload.exp! - payload.iat!).toBe(15 * 60);
  });

  it("has no not-before time unless asked for one", async () => {
    const { payload } = await jwtVerify(await signToken({ id: 42n }), key(SECRET));
    expect(payload).not.toHaveProperty("nbf");
  });

  it("sets the not-before time it is given", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2030-01-01T00:00:00Z") });
    const signed = await signToken({ id: 42n }, { notBefore: "10m" });
    vi.setSystemTime(new Date("2030-01-01T00:10:00Z"));
    const { payload } = await jwtVerify(signed, key(SECRET));
    expect(payload.nbf! - payload.iat!).toBe(10 * 60);
  });

  it("signs with the secret it is given instead of the configured one", async () => {
    const signed = await signToken({ id: 42n }, { secret: OTHER_SECRET });
    await expect(
      jwtVerify(signed, key(OTHER_SECRET)),
      "the token must verify with the given secret",
    ).resolves.toBeDefined();
    await expect(
      jwtVerify(signed, key(SECRET)),
      "the token must not verify with the configured secret",
    ).rejects.toBeInstanceOf(joseErrors.JWSSignatureVerificationFailed);
  });

  it("issues tokens that verifyToken accepts", async () => {
    expect(await verifyToken(await signToken({ id: 42n }))).toBe(42n);
  });
});

describe("verifyToken", () => {
  it("returns the user id of a valid token as a bigint", async () => {
    expect(await verifyToken(await token())).toBe(42n);
  });

  it("accepts a subject up to the largest id a JSON number holds exactly", async () => {
    expect(await verifyToken(await token(claims({ sub: "9007199254740991" })))).toBe(9007199254740991n);
  });

  it.each<[string, () => string | Promise<string>]>([
    ["an empty string", () => ""],
    ["garbage", () => "not-a-jwt"],
    ["an unsigned token (alg: none)", () => unsignedToken()],
    ["a token signed with another secret", () => token(claims(), { secret: OTHER_SECRET })],
    ["a token signed with HS512, not HS256", () => token(claims(), { alg: "HS512" })],
    ["a tampered payload", () => tamperedToken()],
    ["an expired token", () => token(claims({ iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 }))],
    ["a token that is not valid yet (nbf in the future)", () => token(claims({ nbf: nowSeconds() + 600 }))],
    ["another issuer", () => token(claims({ iss: "someone-else" }))],
    ["another audience", () => token(claims({ aud: "billing-api" }))],
    ["no expiry (exp missing)", () => token(claims({ exp: undefined }))],
    ["no subject (sub missing)", () => token(claims({ sub: undefined }))],
  ])("returns null for %s", async (_, make) => {
    expect(await verifyToken(await make())).toBeNull();
  });

  it.each([
    ["letters", "abc"],
    ["zero", "0"],
    ["a negative number", "-1"],
    ["a fraction", "1.5"],
    ["an exponent", "1e3"],
    ["a leading zero", "042"],
    ["a leading space", " 42"],
    ["a trailing letter", "42a"],
    ["a leading letter", "a42"],
    ["17 digits", "12345678901234567"],
    ["one past Number.MAX_SAFE_INTEGER", "9007199254740992"],
  ])("returns null for a subject with %s (%j), without throwing", async (_, sub) => {
    expect(await verifyToken(await token(claims({ sub })))).toBeNull();
  });

  it("accepts a token up to the second before it expires, and not at that second", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2030-01-01T00:00:00Z") });
    const signed = await token(claims({ exp: nowSeconds() + 60 }));
    vi.setSystemTime(new Date("2030-01-01T00:00:59Z"));
    expect(await verifyToken(signed), "one second before exp").toBe(42n);
    vi.setSystemTime(new Date("2030-01-01T00:01:00Z"));
    expect(await verifyToken(signed), "at exp").toBeNull();
  });

  it("accepts a not-yet-valid token once its not-before time has come", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2030-01-01T00:00:00Z") });
    const signed = await token(claims({ nbf: nowSeconds() + 60 }));
    vi.setSystemTime(new Date("2030-01-01T00:01:00Z"));
    expect(await verifyToken(signed)).toBe(42n);
  });

  it("lets a server error through instead of calling it a bad token", async () => {
    const signed = await token();
    vi.mocked(authSecret).mockImplementationOnce(() => {
      throw new Error("AUTH_SECRET must be set to a secret of your own when NODE_ENV=production");
    });
    const outcome = await verifyToken(signed).then(
      (value) => `resolved to ${value}`,
      (error: unknown) => String(error),
    );
    expect(outcome, "only jose's own errors (JOSEError) mean a bad token; rethrow any other").toContain(
      "AUTH_SECRET must be set",
    );
  });
});

describe("bearerToken", () => {
  it.each([
    ["Bearer abc.def.ghi", "abc.def.ghi"],
    ["bearer abc.def.ghi", "abc.def.ghi"],
    ["BEARER abc.def.ghi", "abc.def.ghi"],
    ["Bearer   abc.def.ghi", "abc.def.ghi"],
    ["Bearer abc.def.ghi  ", "abc.def.ghi"],
    ["Bearer AZaz09-._~+/=", "AZaz09-._~+/="],
  ])("reads the token from %j", (header, expected) => {
    expect(bearerToken(header)).toBe(expected);
  });

  it.each([
    ["no header", null],
    ["an empty header", ""],
    ["the scheme alone", "Bearer"],
    ["the scheme and a space", "Bearer "],
    ["Basic credentials", "Basic dXNlcjpwYXNz"],
    ["the Token scheme", "Token abc.def.ghi"],
    ["no space after the scheme", "Bearerabc.def.ghi"],
    ["text before the scheme", "xBearer abc.def.ghi"],
    ["two tokens", "Bearer abc def"],
    ["a character a token cannot hold", "Bearer abc,def"],
  ])("returns null for %s", (_, header) => {
    expect(bearerToken(header)).toBeNull();
  });
});

describe("authenticate", () => {
  it("returns the caller's id, email and role, and nothing else", async () => {
    const user = await authenticate(requestWith(`Bearer ${await token()}`), fakeUsers());
    expect(user).toEqual({ id: 42n, email: "ada@example.com", role: "user" });
  });

  it("looks the caller up by the id in the token", async () => {
    const users = fakeUsers();
    await authenticate(requestWith(`Bearer ${await token()}`), users);
    expect(users.findById).toHaveBeenCalledWith(42n);
  });

  it("takes the role from the database, not from the token", async () => {
    const user = await authenticate(requestWith(`Bearer ${await token(claims({ role: "admin" }))}`), fakeUsers());
    expect(user.role, "a role claim in the token must be ignored").toBe("user");
  });

  it("accepts a lower-case bearer scheme", async () => {
    const user = await authenticate(requestWith(`bearer ${await token()}`), fakeUsers());
    expect(user.id).toBe(42n);
  });

  it.each<[string, () => Promise<Request>]>([
    ["no Authorization header", async () => requestWith()],
    ["the Basic scheme", async () => requestWith("Basic dXNlcjpwYXNz")],
    ["the Token scheme", async () => requestWith(`Token ${await token()}`)],
    ["an empty bearer token", async () => requestWith("Bearer ")],
    ["a garbage token", async () => requestWith("Bearer not-a-jwt")],
    ["an unsigned token (alg: none)", async () => requestWith(`Bearer ${unsignedToken(claims({ sub: "1" }))}`)],
    [
      "a token signed with another secret",
      async () => requestWith(`Bearer ${await token(claims(), { secret: OTHER_SECRET })}`),
    ],
    ["an expired token", async () => requestWith(`Bearer ${await token(claims({ exp: nowSeconds() - 1 }))}`)],
    [
      "a token that is not valid yet",
      async () => requestWith(`Bearer ${await token(claims({ nbf: nowSeconds() + 600 }))}`),
    ],
    ["a tampered payload", async () => requestWith(`Bearer ${await tamperedToken()}`)],
    ["another issuer", async () => requestWith(`Bearer ${await token(claims({ iss: "someone-else" }))}`)],
    ["another audience", async () => requestWith(`Bearer ${await token(claims({ aud: "billing-api" }))}`)],
    ["no expiry", async () => requestWith(`Bearer ${await token(claims({ exp: undefined }))}`)],
    ["a non-numeric subject", async () => requestWith(`Bearer ${await token(claims({ sub: "admin" }))}`)],
    [
      "a valid token for a user who does not exist",
      async () => requestWith(`Bearer ${await token(claims({ sub: "7" }))}`),
    ],
  ])("answers %s with the one 401: UNAUTHORIZED, 'Missing or invalid token'", async (_, makeRequest) => {
    const error = await rejection(authenticate(await makeRequest(), fakeUsers()));
    expect(
      { status: error.statusCode, code: error.code, message: error.message },
      "every 401 must look the same, so a caller cannot tell a missing token from a forged one",
    ).toEqual({ status: 401, code: "UNAUTHORIZED", message: "Missing or invalid token" });
  });

  it("lets a database outage through instead of answering 401", async () => {
    const outage = new Error("connect ECONNREFUSED 10.0.0.5:5432");
    const users = { findById: vi.fn(async (_id: bigint): Promise<User | null> => Promise.reject(outage)) };
    const outcome = await authenticate(requestWith(`Bearer ${await token()}`), users).then(
      () => "it resolved",
      (error: unknown) => {
        if (error instanceof Error && error.name === "NotImplementedError") throw error;
        return error;
      },
    );
    expect(outcome, "a database that fails is the server's error (a 500), not a bad token: let it through").toBe(
      outage,
    );
  });

  it("does not query the database when the token is invalid", async () => {
    const users = fakeUsers();
    await rejection(authenticate(requestWith("Bearer not-a-jwt"), users));
    expect(users.findById, "findById must only be called for a verified token").not.toHaveBeenCalled();
  });

  describe("with the real repository", () => {
    beforeEach(async () => {
      await resetUsers();
    });

    it("finds the caller in the database by default", async () => {
      const row = await insertUser({ email: "grace@example.com", role: "admin" });
      const user = await authenticate(requestWith(`Bearer ${await token(claims({ sub: String(row.id) }))}`));
      expect(user).toEqual({ id: row.id, email: "grace@example.com", role: "admin" });
    });

    it("sees a role change at once, without a new token", async () => {
      const row = await insertUser({ email: "grace@example.com", role: "admin" });
      const signed = await token(claims({ sub: String(row.id) }));
      await changeRole(row.id, "user");
      expect((await authenticate(requestWith(`Bearer ${signed}`))).role).toBe("user");
    });

    it("rejects the token of a user deleted after it was issued", async () => {
      const row = await insertUser({ email: "grace@example.com" });
      const signed = await token(claims({ sub: String(row.id) }));
      await deleteUser(row.id);
      const error = await rejection(authenticate(requestWith(`Bearer ${signed}`)));
      expect([error.statusCode, error.code, error.message]).toEqual([401, "UNAUTHORIZED", "Missing or invalid token"]);
    });
  });
});

describe("authorize", () => {
  const as = (role: Role): AuthUser => ({ id: 1n, email: "someone@example.com", role });

  it.each<[Role, Role[]]>([
    ["user", ["user"]],
    ["admin", ["admin"]],
    ["user", ["user", "admin"]],
    ["admin", ["user", "admin"]],
  ])("lets role %s through when %j may", (role, roles) => {
    expect(() => authorize(as(role), roles)).not.toThrow();
  });

  it.each<[Role, Role[]]>([
    ["user", ["admin"]],
    ["admin", ["user"]],
    ["user", []],
    ["admin", []],
  ])("answers role %s with 403 FORBIDDEN when only %j may", (role, roles) => {
    const error = thrown(() => authorize(as(role), roles));
    expect(error, "authorize() must throw an ApiError").toBeInstanceOf(ApiError);
    const { statusCode, code, message } = error as ApiError;
    expect({ statusCode, code, message }).toEqual({
      statusCode: 403,
      code: "FORBIDDEN",
      message: "Insufficient permissions",
    });
  });
});
