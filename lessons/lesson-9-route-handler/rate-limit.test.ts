import { describe, expect, it, vi } from "vitest";

// The limit is read once, when the first request creates the limiter, so it must be set before
// anything is imported. Every test below uses callers of its own: the counts are per caller.
vi.hoisted(() => {
  process.env.RATE_LIMIT_MAX = "3";
  process.env.RATE_LIMIT_WINDOW_MS = "60000";
});

import { insertUser, surfaceServerErrors, params, request, tokenFor, type RequestOptions } from "@/testing/fixtures";
import { GET as getUser } from "./user-by-id-route";
import { GET as listUsers, POST as createUserRoute } from "./users-route";

// A 500 fails the test with what the handler threw, not just "Unexpected error".
const send = surfaceServerErrors();

let nextCaller = 0;

async function newCaller(role: "user" | "admin" = "user") {
  nextCaller += 1;
  const user = await insertUser({ email: `caller${nextCaller}@example.com`, role });
  return { user, token: await tokenFor(user) };
}

const readSelf = (user: { id: bigint }, options: RequestOptions) =>
  send(getUser(request("GET", `/api/users/${user.id}`, options), params({ id: String(user.id) })));

async function expectRateLimited(response: Response) {
  expect(response.status, "the request after the limit answers 429").toBe(429);
  expect(await response.json()).toMatchObject({ error: { code: "RATE_LIMITED", message: "Too many requests" } });
  const retryAfter = response.headers.get("retry-after");
  expect(retryAfter, "Retry-After is a whole number of seconds").toEqual(expect.stringMatching(/^[1-9][0-9]*$/));
  expect(Number(retryAfter), "no longer than the 60 s window").toBeLessThanOrEqual(60);
  expect(response.headers.get("ratelimit-limit")).toBe("3");
  expect(response.headers.get("ratelimit-remaining")).toBe("0");
  expect(response.headers.get("ratelimit-reset")).toBe(retryAfter);
  expect(response.headers.get("x-request-id"), "a 429 carries a request id too").toBeTruthy();
}

describe("rate limiting in the route handlers (RATE_LIMIT_MAX=3)", () => {
  it("counts down RateLimit-Remaining on each request of a user", async () => {
    const { user, token } = await newCaller();
    const remaining: (string | null)[] = [];

    for (let i = 0; i < 3; i++) {
      const response = await readSelf(user, { token });
      expect(response.status).toBe(200);
      remaining.push(response.headers.get("ratelimit-remaining"));
    }

    expect(remaining).toEqual(["2", "1", "0"]);
  });

  it("answers the 4th request of the same user with 429 RATE_LIMITED, Retry-After and RateLimit-* headers", async () => {
    const { user, token } = await newCaller();
    for (let i = 0; i < 3; i++) await readSelf(user, { token });

    await expectRateLimited(await readSelf(user, { token }));
  });

  it("counts a user's requests across routes", async () => {
    const { user, token } = await newCaller("admin");
    await readSelf(user, { token });
    await send(listUsers(request("GET", "/api/users", { token }), params({})));
    await readSelf(user, { token });

    const response = await send(
      createUserRoute(
        request("POST", "/api/users", { token, body: { name: "Zed", email: "zed@example.com" } }),
        params({}),
      ),
    );

    await expectRateLimited(response);
  });

  it("refuses a limited user before reading their body", async () => {
    const { token } = await newCaller("admin");
    const create = (body: unknown) => send(createUserRoute(request("POST", "/api/users", { token, body }), params({})));
    for (let i = 0; i < 3; i++) await create({ name: "Ann", email: `ann${i}@example.com` });

    await expectRateLimited(await create({ email: "not-an-email" }));
  });

  it("keeps counting each user separately", async () => {
    const limited = await newCaller();
    for (let i = 0; i < 4; i++) await readSelf(limited.user, { token: limited.token });
    const other = await newCaller();

    const response = await readSelf(other.user, { token: other.token });

    expect(response.status, "another user's requests do not use up this user's limit").toBe(200);
  });

  it("limits anonymous callers with bad tokens by their address", async () => {
    const { user } = await newCaller();
    const from = (address: string) =>
      readSelf(user, { token: "guessed-token", headers: { "x-forwarded-for": address } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await from("203.0.113.7")).status);

    const fourth = await from("203.0.113.7");
    const elsewhere = await from("198.51.100.9");

    expect(statuses, "the first three bad tokens are simply refused").toEqual([401, 401, 401]);
    await expectRateLimited(fourth);
    expect(elsewhere.status, "another address has its own count").toBe(401);
  });
});
