// Mistake: rateLimit's limiters are keyed by max alone, so the same max over two windows shares one limiter.

import { apiError } from "@/lib/errors";

// A fixed-window rate limiter. Each key's record is re-inserted when its window starts, so the
// Map stays ordered by window start and expired records are always at the front: dropping them
// costs nothing per request, and maxKeys caps memory even when every request has a new key.

export type RateLimitResult = {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch milliseconds when the current window ends. */
  resetAt: number;
  /** Whole seconds until the window ends, at least 1: the value for Retry-After. */
  retryAfterSeconds: number;
};

export type RateLimiterOptions = {
  max: number;
  windowMs: number;
  /** Most keys tracked; past it the oldest window is forgotten (that client starts afresh). */
  maxKeys?: number;
  now?: () => number;
};

type Window = { count: number; resetAt: number };

export class RateLimiter {
  private readonly windows = new Map<string, Window>();
  readonly max: number;
  readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  // The oldest window, found through one long-lived iterator. A new Map iterator starts at the
  // first slot and steps over every entry deleted since the Map last compacted itself, so a
  // limiter flooded with new keys (one per request) would pay thousands of steps per request.
  // This iterator only moves forward, so each deleted entry is stepped over once.
  private cursor = this.windows.entries();
  private head: [string, Window] | undefined;

  constructor(options: RateLimiterOptions) {
    for (const name of ["max", "windowMs", "maxKeys"] as const) {
      const value = options[name];
      // Only maxKeys has a default; a missing max or windowMs (from plain JavaScript) is refused.
      if (name === "maxKeys" && value === undefined) continue;
      if (!Number.isInteger(value) || value! < 1) {
        throw new RangeError(`${name} must be a positive integer, got ${value}`);
      }
    }
    this.max = options.max;
    this.windowMs = options.windowMs;
    this.maxKeys = options.maxKeys ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.windows.size;
  }

  /** Counts one request for `key` and says whether it may proceed. */
  hit(key: string): RateLimitResult {
    const now = this.now();
    this.dropExpired(now);
    let window = this.windows.get(key);
    if (!window || now >= window.resetAt) {
      this.windows.delete(key);
      if (this.windows.size >= this.maxKeys) this.windows.delete(this.oldest()![0]);
      window = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    return {
      allowed: window.count <= this.max,
      limit: this.max,
      remaining: Math.max(0, this.max - window.count),
      resetAt: window.resetAt,
      retryAfterSeconds: Math.max(1, Math.ceil((window.resetAt - now) / 1000)),
    };
  }

  private dropExpired(now: number): void {
    for (let oldest = this.oldest(); oldest && now >= oldest[1].resetAt; oldest = this.oldest()) {
      this.windows.delete(oldest[0]);
    }
  }

  /** The first live entry; a window renewed since is a new object at the end of the Map. */
  private oldest(): [string, Window] | undefined {
    while (!this.head || this.windows.get(this.head[0]) !== this.head[1]) {
      const next = this.cursor.next();
      if (!next.done) {
        this.head = next.value;
      } else if (this.windows.size === 0) {
        this.head = undefined;
        return undefined;
      } else {
        // An exhausted iterator stays exhausted: start again for the entries added since.
        this.cursor = this.windows.entries();
      }
    }
    return this.head;
  }
}

/** The standard rate-limit headers (IETF draft names) for a result. */
export function rateLimitHeaders(result: RateLimitResult): Record<string, string> {
  return {
    "RateLimit-Limit": String(result.limit),
    "RateLimit-Remaining": String(result.remaining),
    "RateLimit-Reset": String(result.retryAfterSeconds),
  };
}

/** Throws the 429 for a refused result, telling the client when to come back. */
export function assertAllowed(result: RateLimitResult): void {
  if (result.allowed) return;
  throw apiError("RATE_LIMITED", "Too many requests", {
    headers: { ...rateLimitHeaders(result), "Retry-After": String(result.retryAfterSeconds) },
  });
}

const limiters = new Map<string, RateLimiter>();

/** The textbook version's one-call form: one shared limiter per (max, windowMs) pair. */
export function rateLimit(key: string, max: number, windowMs: number): RateLimitResult {
  const id = String(max);
  let limiter = limiters.get(id);
  if (!limiter) limiters.set(id, (limiter = new RateLimiter({ max, windowMs })));
  const result = limiter.hit(key);
  assertAllowed(result);
  return result;
}
