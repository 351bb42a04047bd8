import { beforeAll, describe, expect, it, vi } from "vitest";

const N = vi.hoisted(() => {
  const limit = 100;
  process.env.RATE_LIMIT_MAX = String(limit);
  // A window far longer than the test, so that every request falls in the same one.
  process.env.RATE_LIMIT_WINDOW_MS = String(60 * 60_000);
  return limit;
});

import { GET as health } from "@/app/api/health/route";
import { GET as getUser } from "@/app/api/users/[id]/route";
import { createUser, params, request, tokenFor } from "@/testing/fixtures";

// 1,000 requests at once from one client against a limit of N: exactly N get through, however
// the requests interleave, and every other one is told when to come back.

let alice: { id: bigint };
let token: string;

beforeAll(async () => {
  alice = await createUser({ email: "alice@example.com" });
  token = await tokenFor(alice);
});

async function expectExactlyAdmitted(responses: Response[], okStatus: number): Promise<void> {
  const admitted = responses.filter((r) => r.status === okStatus);
  const refused = responses.filter((r) => r.status === 429);
  expect([admitted.length, refused.length]).toEqual([N, responses.length - N]);
  for (const response of refused) {
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await response.json()).error.code).toBe("RATE_LIMITED");
  }
}

describe(`1,000 concurrent requests from one client against a limit of ${N}`, () => {
  it(`admit exactly ${N} requests from one user`, async () => {
    const id = String(alice.id);
    const responses = await Promise.all(
      Array.from({ length: 1_000 }, () => getUser(request("GET", `/api/users/${id}`, { token }), params({ id }))),
    );

    await expectExactlyAdmitted(responses, 200);
  });

  it(`admit exactly ${N} requests from one address without a token`, async () => {
    const responses = await Promise.all(
      Array.from({ length: 1_000 }, () =>
        health(request("GET", "/api/health", { headers: { "x-forwarded-for": "203.0.113.7" } }), params({})),
      ),
    );

    await expectExactlyAdmitted(responses, 200);
  });

  it(`admit exactly ${N} failed token guesses from one address`, async () => {
    const id = String(alice.id);
    const guess = (i: number) =>
      request("GET", `/api/users/${id}`, {
        headers: { authorization: `Bearer guess.${i}.x`, "x-forwarded-for": "198.51.100.9" },
      });
    const responses = await Promise.all(Array.from({ length: 1_000 }, (_, i) => getUser(guess(i), params({ id }))));

    expect(responses.filter((r) => r.status === 401)).toHaveLength(N);
    expect(responses.filter((r) => r.status === 429)).toHaveLength(1_000 - N);
  });
});
