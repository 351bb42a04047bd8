import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "@/lib/errors";
import {
  addressKey,
  clientAddress,
  guard,
  guardPublic,
  INVALID_ADDRESS,
  limitByAddress,
  refuseBodyOnGet,
  requestLimiter,
} from "@/lib/guard";
import { getRequestContext, runWithRequestContext } from "@/lib/request-context";
import { createUser, tokenFor } from "@/testing/fixtures";

// A limit of 2 requests per minute, and TRUST_PROXY switchable per test. Every test counts
// against its own addresses and users, so no test sees another's requests.
const settings = vi.hoisted(() => ({ TRUST_PROXY: false }));
vi.mock("@/lib/config", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@/lib/config")>();
  const base = actual.loadConfig({ RATE_LIMIT_MAX: "2" });
  return { ...actual, config: () => ({ ...base, ...settings }) };
});

afterEach(() => {
  settings.TRUST_PROXY = false;
});

let lastAddress = 0;
const uniqueAddress = () => `192.0.2.${++lastAddress}`;

function requestFrom(address: string | null, authorization?: string): Request {
  const headers = new Headers();
  if (address) headers.set("x-forwarded-for", address);
  if (authorization) headers.set("authorization", authorization);
  return new Request("http://localhost/api/users", { headers });
}

async function newUser(role: "user" | "admin" = "user") {
  const user = await createUser({ email: `${randomUUID()}@example.com`, role });
  return { user, token: await tokenFor(user) };
}

/** The ApiError a call throws, inside a request context like a route handler's. */
async function errorOf(fn: () => unknown): Promise<ApiError> {
  const error = await runWithRequestContext(new Request("http://localhost/"), async () => {
    try {
      await fn();
    } catch (e) {
      return e;
    }
    return expect.fail("expected an ApiError");
  });
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

const codeOf = async (fn: () => unknown) => (await errorOf(fn)).code;

describe("clientAddress", () => {
  it.each([
    ["the only x-forwarded-for entry", { "x-forwarded-for": "203.0.113.7" }, "203.0.113.7"],
    [
      "the last x-forwarded-for entry, the one the server itself added",
      { "x-forwarded-for": "1.1.1.1, 203.0.113.7" },
      "203.0.113.7",
    ],
    [
      "the last non-empty entry, ignoring blanks and spaces",
      { "x-forwarded-for": " 1.1.1.1 ,, 203.0.113.7 , " },
      "203.0.113.7",
    ],
    ["x-real-ip when there is no x-forwarded-for", { "x-real-ip": "198.51.100.2" }, "198.51.100.2"],
    [
      "x-real-ip when x-forwarded-for is empty",
      { "x-forwarded-for": " , ", "x-real-ip": "198.51.100.2" },
      "198.51.100.2",
    ],
    [
      "x-forwarded-for over x-real-ip",
      { "x-forwarded-for": "203.0.113.7", "x-real-ip": "198.51.100.2" },
      "203.0.113.7",
    ],
    ['"unknown" when neither header is there', {}, "unknown"],
  ])("is %s", (_, headers, expected) => {
    expect(clientAddress(new Request("http://localhost/", { headers }))).toBe(expected);
  });

  it("ignores an address the client put first, unless a trusted proxy is configured", () => {
    const forged = new Request("http://localhost/", { headers: { "x-forwarded-for": "6.6.6.6, 203.0.113.7" } });
    expect(clientAddress(forged)).toBe("203.0.113.7");
    settings.TRUST_PROXY = true;
    expect(clientAddress(forged)).toBe("6.6.6.6");
  });

  it("behind a trusted proxy is the first non-empty x-forwarded-for entry", () => {
    settings.TRUST_PROXY = true;
    expect(
      clientAddress(new Request("http://localhost/", { headers: { "x-forwarded-for": " , 192.0.2.1, 10.0.0.1" } })),
    ).toBe("192.0.2.1");
  });
});

describe("addressKey", () => {
  it.each([
    ["an IPv4 address", "203.0.113.7", "203.0.113.7"],
    ["an IPv6 address, lower-cased", "2001:DB8::1", "2001:db8::1"],
    ["an IPv4-mapped IPv6 address", "::ffff:192.0.2.1", "::ffff:192.0.2.1"],
    ["an IPv4 address with the port a proxy appended", "203.0.113.7:51234", "203.0.113.7"],
    ["a bracketed IPv6 address with a port", "[2001:db8::1]:443", "2001:db8::1"],
    ["a bracketed IPv6 address", "[2001:db8::1]", "2001:db8::1"],
  ])("keeps %s", (_, value, expected) => {
    expect(addressKey(value)).toBe(expected);
  });

  it.each([
    ["a name", "proxy.internal"],
    ["RFC 7239's unknown", "unknown"],
    ["an address out of range", "256.1.1.1"],
    ["an address with text after it", "203.0.113.7 extra"],
    ["a port on its own", ":8080"],
    ["15 KB of made-up text", "x".repeat(15 * 1024)],
    ["a valid address padded past 64 characters", `${"0".repeat(60)}1.2.3.4`],
  ])("turns %s into the one invalid bucket", (_, value) => {
    expect(addressKey(value)).toBe(INVALID_ADDRESS);
  });
});

describe("limitByAddress", () => {
  it("lets an address make the configured number of requests, then answers 429 with Retry-After", async () => {
    const request = requestFrom(uniqueAddress());
    await limitByAddress(request);
    await limitByAddress(request);
    const error = await errorOf(() => limitByAddress(request));
    expect([error.statusCode, error.code]).toEqual([429, "RATE_LIMITED"]);
    expect(error.headers).toMatchObject({ "Retry-After": "60", "RateLimit-Limit": "2", "RateLimit-Remaining": "0" });
  });

  it("counts each address separately", async () => {
    const [first, second] = [requestFrom(uniqueAddress()), requestFrom(uniqueAddress())];
    await limitByAddress(first);
    await limitByAddress(first);
    await expect(limitByAddress(second)).resolves.toBeUndefined();
  });

  it("keeps one window for every forged value that is not an address, however many and however long", async () => {
    const before = requestLimiter("address").size;
    for (let i = 0; i < 1_000; i += 1) {
      await limitByAddress(requestFrom(`${i}-${"x".repeat(15 * 1024)}`)).catch(() => undefined);
    }
    expect(requestLimiter("address").size - before).toBeLessThanOrEqual(1);
    expect(await codeOf(() => limitByAddress(requestFrom("made-up")))).toBe("RATE_LIMITED");
  });

  it("adds the rate-limit headers to the request context for the response", async () => {
    const headers = await runWithRequestContext(new Request("http://localhost/"), async () => {
      await limitByAddress(requestFrom(uniqueAddress()));
      return Object.fromEntries(getRequestContext()!.responseHeaders);
    });
    expect(headers).toEqual({ "ratelimit-limit": "2", "ratelimit-remaining": "1", "ratelimit-reset": "60" });
  });
});

describe("guard", () => {
  it("returns the caller for a valid token and records them as the request's user", async () => {
    const { user, token } = await newUser();
    const [caller, userId] = await runWithRequestContext(new Request("http://localhost/"), async () => [
      await guard(requestFrom(uniqueAddress(), `Bearer ${token}`)),
      getRequestContext()?.userId,
    ]);
    expect(caller).toEqual({ id: user.id, email: user.email, role: "user" });
    expect(userId).toBe(String(user.id));
  });

  it.each([
    ["no Authorization header", undefined],
    ["a malformed header", "Token abc"],
    ["a forged token", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"],
  ])("answers 401 for %s", async (_, authorization) => {
    expect(await codeOf(() => guard(requestFrom(uniqueAddress(), authorization)))).toBe("UNAUTHORIZED");
  });

  it("rate-limits requests with a bad token by address: the third from one address gets 429", async () => {
    const address = uniqueAddress();
    const bad = () => guard(requestFrom(address, "Bearer not.a.token"));
    expect([await codeOf(bad), await codeOf(bad), await codeOf(bad)]).toEqual([
      "UNAUTHORIZED",
      "UNAUTHORIZED",
      "RATE_LIMITED",
    ]);
  });

  it("rate-limits a valid token by user id, wherever the requests come from", async () => {
    const { token } = await newUser();
    await guard(requestFrom(uniqueAddress(), `Bearer ${token}`));
    await guard(requestFrom(uniqueAddress(), `Bearer ${token}`));
    expect(await codeOf(() => guard(requestFrom(uniqueAddress(), `Bearer ${token}`)))).toBe("RATE_LIMITED");
  });

  it("does not charge a valid user for bad tokens sent from the same address", async () => {
    const address = uniqueAddress();
    const { token } = await newUser();
    for (let i = 0; i < 3; i += 1) await codeOf(() => guard(requestFrom(address, "Bearer not.a.token")));
    await expect(guard(requestFrom(address, `Bearer ${token}`))).resolves.toMatchObject({ role: "user" });
  });

  it("gives each user their own allowance behind one shared address", async () => {
    const address = uniqueAddress();
    const [first, second] = [await newUser(), await newUser()];
    await guard(requestFrom(address, `Bearer ${first.token}`));
    await guard(requestFrom(address, `Bearer ${first.token}`));
    await expect(guard(requestFrom(address, `Bearer ${second.token}`))).resolves.toMatchObject({ id: second.user.id });
  });

  it("keeps a user's window when a flood of made-up addresses fills the address limiter", async () => {
    const { token } = await newUser();
    await guard(requestFrom(uniqueAddress(), `Bearer ${token}`));
    await guard(requestFrom(uniqueAddress(), `Bearer ${token}`));
    // x-forwarded-for can be forged: more distinct addresses than the limiter tracks.
    for (let i = 0; i <= 10_000; i += 1) await limitByAddress(requestFrom(`198.51.${i >> 8}.${i & 255}`));
    expect(await codeOf(() => guard(requestFrom(uniqueAddress(), `Bearer ${token}`)))).toBe("RATE_LIMITED");
  });

  it("adds the user's rate-limit headers to the request context", async () => {
    const { token } = await newUser();
    const headers = await runWithRequestContext(new Request("http://localhost/"), async () => {
      await guard(requestFrom(uniqueAddress(), `Bearer ${token}`));
      return Object.fromEntries(getRequestContext()!.responseHeaders);
    });
    expect(headers).toEqual({ "ratelimit-limit": "2", "ratelimit-remaining": "1", "ratelimit-reset": "60" });
  });

  it("lets a caller with one of the given roles through", async () => {
    const { user, token } = await newUser("admin");
    await expect(guard(requestFrom(uniqueAddress(), `Bearer ${token}`), ["admin"])).resolves.toMatchObject({
      id: user.id,
      role: "admin",
    });
  });

  it("answers 403 to a caller without one of the given roles", async () => {
    const { token } = await newUser("user");
    expect(await codeOf(() => guard(requestFrom(uniqueAddress(), `Bearer ${token}`), ["admin"]))).toBe("FORBIDDEN");
  });

  it("counts forbidden requests too: rate limiting comes before authorization", async () => {
    const { token } = await newUser("user");
    const forbidden = () => guard(requestFrom(uniqueAddress(), `Bearer ${token}`), ["admin"]);
    expect([await codeOf(forbidden), await codeOf(forbidden), await codeOf(forbidden)]).toEqual([
      "FORBIDDEN",
      "FORBIDDEN",
      "RATE_LIMITED",
    ]);
  });
});

describe("a GET that carries a body", () => {
  const sent = (method: string, headers: Record<string, string>) =>
    new Request("http://localhost/api/users", { method, headers });

  it.each([
    ["a Content-Length above 0", { "content-length": "12" }],
    ["a Content-Length that is not exactly 0", { "content-length": "00" }],
    ["a chunked body", { "transfer-encoding": "chunked" }],
    ["Content-Length: 0 with a Transfer-Encoding", { "content-length": "0", "transfer-encoding": "chunked" }],
  ])("is refused with 400 when it has %s", async (_, headers) => {
    for (const method of ["GET", "HEAD"]) {
      const error = await errorOf(() => refuseBodyOnGet(sent(method, headers)));
      expect([error.statusCode, error.code, error.message]).toEqual([
        400,
        "VALIDATION_ERROR",
        "A GET request has no body",
      ]);
    }
  });

  it.each([
    ["a GET without body headers", "GET", {}],
    ["a GET with Content-Length: 0", "GET", { "content-length": "0" }],
    ["a POST with a body", "POST", { "content-length": "12" }],
    ["a PATCH with a chunked body", "PATCH", { "transfer-encoding": "chunked" }],
    ["a DELETE with a body", "DELETE", { "content-length": "2" }],
  ])("lets through %s", (_, method, headers) => {
    expect(() => refuseBodyOnGet(sent(method, headers))).not.toThrow();
  });

  function withBody(address: string, authorization?: string): Request {
    const request = requestFrom(address, authorization);
    request.headers.set("content-length", "2");
    return request;
  }

  it("is refused by guard once the caller is authenticated, counted and authorized", async () => {
    const { token } = await newUser();
    expect(await codeOf(() => guard(withBody(uniqueAddress(), `Bearer ${token}`)))).toBe("VALIDATION_ERROR");
    await expect(guard(requestFrom(uniqueAddress(), `Bearer ${token}`))).resolves.toMatchObject({ role: "user" });
    // That was the second request of a limit of 2.
    expect(await codeOf(() => guard(withBody(uniqueAddress(), `Bearer ${token}`)))).toBe("RATE_LIMITED");
  });

  it("gets 401 without a valid token and 403 without the role, like any other bad input", async () => {
    expect(await codeOf(() => guard(withBody(uniqueAddress())))).toBe("UNAUTHORIZED");
    const { token } = await newUser("user");
    expect(await codeOf(() => guard(withBody(uniqueAddress(), `Bearer ${token}`), ["admin"]))).toBe("FORBIDDEN");
  });

  it("is refused by guardPublic after the address is counted", async () => {
    const address = uniqueAddress();
    await expect(guardPublic(requestFrom(address))).resolves.toBeUndefined();
    expect(await codeOf(() => guardPublic(withBody(address)))).toBe("VALIDATION_ERROR");
    expect(await codeOf(() => guardPublic(withBody(address)))).toBe("RATE_LIMITED");
  });
});
