// Mistake: reads the count with GET and writes it back with SET … PX: two instances can both read 99 and both admit.

import type { Redis, Result } from "ioredis";
import { RateLimiter, type RateLimitResult } from "@/lib/rate-limit";
import { RedisOutage } from "@/lib/redis";

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

// KEYS[1]: the window's counter. ARGV[1]: the window's length in ms.
// The first hit of a window (count 1) starts its expiry; later hits leave it alone, so the window
// ends windowMs after it started however busy it is. A counter found without an expiry (written
// by something else, or left by a crash of an older version) is given one, so it cannot block
// its key for ever. Returns the count and the ms left until the window ends.
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
    this.redis.defineCommand("fixedWindowHit", { numberOfKeys: 1, lua: FIXED_WINDOW_SCRIPT });
  }

  /**
   * Counts one request for `key` in Redis. While Redis is unavailable the request is counted
   * by this instance alone (fail open to a per-instance limit): the API keeps answering, and a
   * client still cannot go unlimited, at worst `max` per instance.
   */
  async hit(key: string): Promise<RateLimitResult> {
    return this.outage.run(
      async () => {
        const redisKey = `${this.prefix}${key}`;
        const count = Number((await this.redis.get(redisKey)) ?? 0) + 1;
        await this.redis.set(redisKey, count, "PX", this.windowMs);
        return this.result(count, this.windowMs);
      },
      () => this.fallback.hit(key),
    );
  }

  private result(count: number, msLeft: number): RateLimitResult {
    return {
      allowed: count <= this.max,
      limit: this.max,
      remaining: Math.max(0, this.max - count),
      resetAt: this.now() + msLeft,
      retryAfterSeconds: Math.max(1, Math.ceil(msLeft / 1000)),
    };
  }
}
