import type { Redis, Result } from "ioredis";
import { RateLimiter, type RateLimitResult } from "@/lib/rate-limit";
import { RedisOutage } from "@/lib/redis";
import { notImplemented } from "../not-implemented";

// The rate limiter for several instances: each key's fixed window is one counter in Redis,
// shared by every instance, so a limit of 100 admits 100 requests in all, not 100 per instance.
// The window is counted and given its expiry by one Lua script, which Redis runs atomically: one
// round trip per request, no two instances can both read 99 and both write 100, and no counter
// is ever left without an expiry (Redis holds only the windows still running).

/** What the guard needs from a limiter, in memory (RateLimiter) or in Redis (RedisRateLimiter). */
export type Limiter = {
  readonly max: number;
  readonly windowMs: number;
  hit(key: string): RateLimitResult | Promise<RateLimitResult>;
};

// TODO: the Lua script Redis runs for one hit, atomically. KEYS[1] is the window's counter,
// ARGV[1] the window's length in ms. Count the hit (INCR); when it is the window's first hit,
// give the counter its expiry (PEXPIRE) — and only then, or a busy client would push the end of
// its window away for ever. If the counter has no expiry at all (PTTL below 0: left by a crash,
// or written by something else), give it one. Return { count, ms left (PTTL) }.
export const FIXED_WINDOW_SCRIPT = `
return redis.error_reply('FIXED_WINDOW_SCRIPT is not written yet: write it in lessons/lesson-10-scale-out/rate-limit-redis.ts')
`;

declare module "ioredis" {
  interface RedisCommander<Context> {
    fixedWindowHit(key: string, windowMs: number): Result<[number, number], Context>;
  }
}

export type RedisRateLimiterOptions = {
  redis: Redis;
  max: number;
  windowMs: number;
  /** Put before every key, so the limiter's keys are easy to find and never clash with others. */
  prefix?: string;
  /** Counts requests while Redis is unavailable; by default an in-memory RateLimiter with the same limits. */
  fallback?: RateLimiter;
  /** Shared with the cache when they use one connection, so an outage is logged once. */
  outage?: RedisOutage;
  now?: () => number;
};

export class RedisRateLimiter implements Limiter {
  readonly max: number;
  readonly windowMs: number;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly fallback: RateLimiter;
  private readonly outage: RedisOutage;
  private readonly now: () => number;

  constructor(options: RedisRateLimiterOptions) {
    // The in-memory limiter checks max and windowMs: the same rules, in one place.
    this.fallback = options.fallback ?? new RateLimiter({ max: options.max, windowMs: options.windowMs });
    this.max = options.max;
    this.windowMs = options.windowMs;
    this.redis = options.redis;
    this.prefix = options.prefix ?? "ratelimit:";
    this.outage = options.outage ?? new RedisOutage();
    this.now = options.now ?? Date.now;
    // After this, `this.redis.fixedWindowHit(key, windowMs)` runs the script in one round trip.
    this.redis.defineCommand("fixedWindowHit", { numberOfKeys: 1, lua: FIXED_WINDOW_SCRIPT });
  }

  // TODO: count one request for `key` in Redis: run the script on `${this.prefix}${key}` with
  // this.windowMs, and turn its [count, msLeft] into a result (see result() below). Do it inside
  // this.outage.run(call, fallback): when Redis is down or too slow, count the request in
  // this.fallback (the in-memory limiter) instead. Never let a Redis error reach the caller: the
  // API must keep answering, and a client must still not go unlimited.
  /**
   * Counts one request for `key` in Redis. While Redis is unavailable the request is counted
   * by this instance alone (fail open to a per-instance limit): the API keeps answering, and a
   * client still cannot go unlimited, at worst `max` per instance.
   */
  async hit(key: string): Promise<RateLimitResult> {
    return notImplemented("lesson-10", "RedisRateLimiter.hit");
  }

  // TODO: the result for the count-th request of a window that ends in msLeft ms: allowed while
  // count <= max; remaining never below 0; resetAt = this.now() + msLeft; retryAfterSeconds is
  // msLeft in whole seconds, rounded up, and at least 1.
  private result(count: number, msLeft: number): RateLimitResult {
    return notImplemented("lesson-10", "RedisRateLimiter.result");
  }
}
