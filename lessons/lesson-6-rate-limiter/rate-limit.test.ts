import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "@/lib/errors";
import {
  assertAllowed,
  rateLimit,
  RateLimiter,
  rateLimitHeaders,
  type RateLimiterOptions,
  type RateLimitResult,
} from "./rate-limit";

const START = Date.parse("2030-01-01T00:00:00Z");

/** A limiter on a clock that only moves when the test says so. */
function limiterAt(options: Omit<RateLimiterOptions, "now">) {
  let now = START;
  const limiter = new RateLimiter({ ...options, now: () => now });
  return {
    limiter,
    /** Sets the clock to START + ms. */
    at(ms: number) {
      now = START + ms;
    },
  };
}

function hits(limiter: RateLimiter, key: string, times: number): RateLimitResult[] {
  return Array.from({ length: times }, () => limiter.hit(key));
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return expect.fail("expected a 429 ApiError to be thrown");
}

/** The 429 an action throws, checked to be an ApiError. */
function tooManyRequests(action: () => unknown): ApiError {
  const error = thrown(action);
  expect(error, "a refused request must throw an ApiError").toBeInstanceOf(ApiError);
  return error as ApiError;
}

const result = (overrides: Partial<RateLimitResult> = {}): RateLimitResult => ({
  allowed: true,
  limit: 10,
  remaining: 3,
  resetAt: START + 42_000,
  retryAfterSeconds: 42,
  ...overrides,
});

afterEach(() => {
  vi.useRealTimers();
});

describe("RateLimiter", () => {
  it("allows a first request and reports the limit, what remains and when the window ends", () => {
    const { limiter } = limiterAt({ max: 3, windowMs: 60_000 });
    expect(limiter.hit("a")).toEqual({
      allowed: true,
      limit: 3,
      remaining: 2,
      resetAt: START + 60_000,
      retryAfterSeconds: 60,
    });
  });

  it("allows the first max requests in a window and refuses the next", () => {
    const { limiter } = limiterAt({ max: 3, windowMs: 60_000 });
    expect(hits(limiter, "a", 4).map((r) => r.allowed)).toEqual([true, true, true, false]);
  });

  it("counts remaining down to 0 and never below", () => {
    const { limiter } = limiterAt({ max: 3, windowMs: 60_000 });
    expect(hits(limiter, "a", 5).map((r) => r.remaining)).toEqual([2, 1, 0, 0, 0]);
  });

  it("keeps refusing for the rest of the window", () => {
    const { limiter, at } = limiterAt({ max: 1, windowMs: 60_000 });
    limiter.hit("a");
    at(59_999);
    expect(limiter.hit("a").allowed, "one millisecond before resetAt the window is still full").toBe(false);
  });

  it("counts each key on its own", () => {
    const { limiter } = limiterAt({ max: 2, windowMs: 60_000 });
    hits(limiter, "a", 3);
    expect(limiter.hit("b")).toMatchObject({ allowed: true, remaining: 1 });
  });

  it("keeps the window's end fixed from its first request", () => {
    const { limiter, at } = limiterAt({ max: 5, windowMs: 60_000 });
    limiter.hit("a");
    at(10_000);
    expect(limiter.hit("a").resetAt).toBe(START + 60_000);
  });

  it("starts a new window exactly at resetAt", () => {
    const { limiter, at } = limiterAt({ max: 1, windowMs: 60_000 });
    hits(limiter, "a", 2);
    at(60_000);
    expect(limiter.hit("a")).toEqual({
      allowed: true,
      limit: 1,
      remaining: 0,
      resetAt: START + 120_000,
      retryAfterSeconds: 60,
    });
  });

  it.each([
    [1, 1],
    [999, 1],
    [1_000, 1],
    [1_001, 2],
    [1_500, 2],
    [59_999, 60],
  ])("rounds %i ms left in the window up to a Retry-After of %i s", (msLeft, seconds) => {
    const { limiter, at } = limiterAt({ max: 1, windowMs: 60_000 });
    limiter.hit("a");
    at(60_000 - msLeft);
    expect(limiter.hit("a").retryAfterSeconds).toBe(seconds);
  });

  it("reads the system clock when given none", () => {
    vi.useFakeTimers({ toFake: ["Date"], now: START });
    const limiter = new RateLimiter({ max: 1, windowMs: 1_000 });
    expect(limiter.hit("a").resetAt).toBe(START + 1_000);
    vi.setSystemTime(START + 1_000);
    expect(limiter.hit("a").allowed, "the system clock moved past the window").toBe(true);
  });

  describe("memory", () => {
    it("tracks one window per key", () => {
      const { limiter } = limiterAt({ max: 1, windowMs: 60_000 });
      hits(limiter, "a", 3);
      limiter.hit("b");
      expect(limiter.size).toBe(2);
    });

    it("forgets windows that have ended: 10,000 keys, a minute passes, one hit leaves 1", () => {
      const { limiter, at } = limiterAt({ max: 1, windowMs: 60_000 });
      for (let i = 0; i < 10_000; i++) limiter.hit(`ip:${i}`);
      expect(limiter.size).toBe(10_000);
      at(60_000);
      limiter.hit("one more");
      expect(limiter.size, "every window that ended must be dropped on the next hit").toBe(1);
    });

    it("keeps the windows that have not ended", () => {
      const { limiter, at } = limiterAt({ max: 1, windowMs: 60_000 });
      limiter.hit("early");
      at(1);
      limiter.hit("later");
      at(60_000);
      limiter.hit("now");
      expect(limiter.size, "'early' has ended; 'later' has 1 ms to go").toBe(2);
      expect(limiter.hit("later").allowed, "'later' must still be counted").toBe(false);
    });

    it("forgets a window that ended behind a key whose window started again", () => {
      const { limiter, at } = limiterAt({ max: 1, windowMs: 60_000 });
      limiter.hit("a");
      at(100);
      limiter.hit("b");
      at(60_000);
      limiter.hit("a"); // a's second window: a must move behind b in the Map
      at(60_100);
      limiter.hit("c");
      expect(limiter.size, "b's window has ended and must be dropped, leaving a and c").toBe(2);
    });

    it("never tracks more than maxKeys keys, even for 100,000 distinct keys", () => {
      const { limiter } = limiterAt({ max: 1, windowMs: 60_000, maxKeys: 1_000 });
      for (let i = 0; i < 100_000; i++) limiter.hit(`ip:${i}`);
      expect(limiter.size).toBe(1_000);
    });

    it("holds 10,000 keys when maxKeys is not given", () => {
      const { limiter } = limiterAt({ max: 1, windowMs: 60_000 });
      for (let i = 0; i < 10_001; i++) limiter.hit(`ip:${i}`);
      expect(limiter.size).toBe(10_000);
    });

    it("evicts the key whose window is oldest, and that key starts afresh", () => {
      const { limiter } = limiterAt({ max: 1, windowMs: 60_000, maxKeys: 2 });
      hits(limiter, "a", 2);
      limiter.hit("b");
      limiter.hit("c");
      expect(limiter.hit("b").allowed, "b must still be counted").toBe(false);
      expect(limiter.hit("a").allowed, "a was evicted, so it starts a new window").toBe(true);
    });

    it("does not evict a key to renew a window the Map still holds (a clock that stepped back)", () => {
      const { limiter, at } = limiterAt({ max: 1, windowMs: 60_000, maxKeys: 2 });
      at(10_000);
      limiter.hit("a");
      at(0); // the system clock was set back ten seconds
      limiter.hit("b");
      at(60_000);
      expect(limiter.hit("b").allowed, "b's window has ended, although a's is still in front of it").toBe(true);
      expect(limiter.size, "renewing b must not push a out").toBe(2);
      expect(limiter.hit("a").allowed, "a must still be counted").toBe(false);
    });
  });

  it.each<[string, Partial<RateLimiterOptions>, string]>([
    ["max of 0", { max: 0 }, "max must be a positive integer, got 0"],
    ["negative max", { max: -1 }, "max must be a positive integer, got -1"],
    ["fractional max", { max: 1.5 }, "max must be a positive integer, got 1.5"],
    ["NaN max", { max: Number.NaN }, "max must be a positive integer, got NaN"],
    ["missing max", { max: undefined }, "max must be a positive integer, got undefined"],
    ["windowMs of 0", { windowMs: 0 }, "windowMs must be a positive integer, got 0"],
    ["negative windowMs", { windowMs: -1_000 }, "windowMs must be a positive integer, got -1000"],
    ["fractional windowMs", { windowMs: 0.5 }, "windowMs must be a positive integer, got 0.5"],
    ["missing windowMs", { windowMs: undefined }, "windowMs must be a positive integer, got undefined"],
    ["maxKeys of 0", { maxKeys: 0 }, "maxKeys must be a positive integer, got 0"],
    ["negative maxKeys", { maxKeys: -5 }, "maxKeys must be a positive integer, got -5"],
    ["fractional maxKeys", { maxKeys: 2.5 }, "maxKeys must be a positive integer, got 2.5"],
  ])("refuses a %s with a RangeError", (_, options, message) => {
    expect(
      () => new RateLimiter({ max: 10, windowMs: 1_000, ...options }),
      "the constructor must check its options",
    ).toThrow(new RangeError(message));
  });

  it("accepts the smallest valid options: 1 request per 1 ms, 1 key", () => {
    const limiter = new RateLimiter({ max: 1, windowMs: 1, maxKeys: 1, now: () => START });
    expect(limiter.hit("a").allowed).toBe(true);
  });
});

describe("rateLimitHeaders", () => {
  it("names the limit, the remaining requests and the seconds until reset", () => {
    expect(rateLimitHeaders(result())).toEqual({
      "RateLimit-Limit": "10",
      "RateLimit-Remaining": "3",
      "RateLimit-Reset": "42",
    });
  });

  it("reports a refused request as 0 remaining", () => {
    expect(rateLimitHeaders(result({ allowed: false, remaining: 0, retryAfterSeconds: 7 }))).toEqual({
      "RateLimit-Limit": "10",
      "RateLimit-Remaining": "0",
      "RateLimit-Reset": "7",
    });
  });
});

describe("assertAllowed", () => {
  it.each([
    ["with requests to spare", result()],
    ["for the last request of the window", result({ remaining: 0 })],
  ])("lets an allowed request through %s", (_, allowed) => {
    expect(assertAllowed(allowed)).toBeUndefined();
  });

  it("answers a refused request with 429 RATE_LIMITED 'Too many requests'", () => {
    const error = tooManyRequests(() => assertAllowed(result({ allowed: false, remaining: 0 })));
    expect({ statusCode: error.statusCode, code: error.code, message: error.message }).toEqual({
      statusCode: 429,
      code: "RATE_LIMITED",
      message: "Too many requests",
    });
  });

  it("tells the refused client when to come back, in Retry-After and the RateLimit headers", () => {
    const error = tooManyRequests(() => assertAllowed(result({ allowed: false, remaining: 0, retryAfterSeconds: 7 })));
    expect(error.headers).toEqual({
      "Retry-After": "7",
      "RateLimit-Limit": "10",
      "RateLimit-Remaining": "0",
      "RateLimit-Reset": "7",
    });
  });
});

describe("rateLimit", () => {
  // rateLimit keeps its limiters for the life of the process, so each test uses keys of its own.
  const freshKey = () => `test:${randomUUID()}`;

  it("returns the result while the key is under its limit", () => {
    const key = freshKey();
    expect(rateLimit(key, 2, 60_000)).toMatchObject({ allowed: true, limit: 2, remaining: 1 });
    expect(rateLimit(key, 2, 60_000)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it("keeps separate counts for different limits on the same key", () => {
    const key = freshKey();
    rateLimit(key, 1, 60_000);
    expect(rateLimit(key, 5, 60_000)).toMatchObject({ allowed: true, limit: 5, remaining: 4 });
    expect(rateLimit(key, 1, 30_000)).toMatchObject({ allowed: true, limit: 1, remaining: 0 });
  });

  it("throws a 429 ApiError with Retry-After once the key is over its limit", () => {
    vi.useFakeTimers({ toFake: ["Date"], now: START });
    const key = freshKey();
    rateLimit(key, 2, 10_000);
    rateLimit(key, 2, 10_000);
    vi.setSystemTime(START + 2_500);
    const error = tooManyRequests(() => rateLimit(key, 2, 10_000));
    expect([error.statusCode, error.code, error.message]).toEqual([429, "RATE_LIMITED", "Too many requests"]);
    expect(error.headers).toMatchObject({ "Retry-After": "8", "RateLimit-Remaining": "0" });
  });

  it("lets the key through again when the window has passed", () => {
    vi.useFakeTimers({ toFake: ["Date"], now: START });
    const key = freshKey();
    rateLimit(key, 1, 10_000);
    vi.setSystemTime(START + 10_000);
    expect(rateLimit(key, 1, 10_000).allowed).toBe(true);
  });

  it("refuses limits that are not positive integers with a RangeError", () => {
    expect(() => rateLimit(freshKey(), 0, 60_000)).toThrow(new RangeError("max must be a positive integer, got 0"));
  });
});
