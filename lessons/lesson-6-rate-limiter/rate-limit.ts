import { apiError } from "@/lib/errors";
import { notImplemented } from "../not-implemented";

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

  constructor(options: RateLimiterOptions) {
    // TODO: throw a RangeError("max must be a positive integer, got 0") when max or windowMs
    // (even a missing one), or maxKeys when it is given, is not a whole number of at least 1:
    // 0, -1, 1.5 and NaN are all refused. A limiter with max 0 would refuse everyone, and one
    // with windowMs 0 would refuse no one.
    this.max = options.max;
    this.windowMs = options.windowMs;
    this.maxKeys = options.maxKeys ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.windows.size;
  }

  // TODO: count one request for `key` at this.now(), in fixed windows of windowMs:
  // - first drop the expired windows (see dropExpired below);
  // - a key with no window, or whose window has ended (now >= resetAt), starts a new one:
  //   { count: 0, resetAt: now + windowMs }. Delete the key and set it again, so that the Map
  //   keeps its keys in the order their windows started. If the Map already holds maxKeys
  //   keys, first delete the oldest one (the first key of the Map);
  // - add 1 to the count. The request is allowed while count <= max; remaining is what is left
  //   (never below 0); retryAfterSeconds is the time until resetAt in whole seconds, rounded up,
  //   and at least 1.
  /** Counts one request for `key` and says whether it may proceed. */
  hit(key: string): RateLimitResult {
    return notImplemented("lesson-6", "RateLimiter.hit");
  }

  // TODO: delete the windows that have ended (now >= resetAt). They are at the front of the Map,
  // so walk it from the start and stop at the first window that has not ended.
  private dropExpired(now: number): void {
    notImplemented("lesson-6", "RateLimiter.dropExpired");
  }
}

// TODO: the headers a client reads to pace itself: RateLimit-Limit (the limit), RateLimit-Remaining
// (remaining) and RateLimit-Reset (retryAfterSeconds), each value a string.
/** The standard rate-limit headers (IETF draft names) for a result. */
export function rateLimitHeaders(result: RateLimitResult): Record<string, string> {
  return notImplemented("lesson-6", "rateLimitHeaders");
}

// TODO: do nothing for an allowed result. For a refused one throw
// apiError("RATE_LIMITED", "Too many requests", { headers }) whose headers are the rate-limit
// headers plus "Retry-After": retryAfterSeconds as a string.
/** Throws the 429 for a refused result, telling the client when to come back. */
export function assertAllowed(result: RateLimitResult): void {
  notImplemented("lesson-6", "assertAllowed");
}

// One limiter per (max, windowMs) pair, shared by every caller that asks for the same limits.
const limiters = new Map<string, RateLimiter>();

// TODO: the seed's one-call form. Find (or create and remember in `limiters`) the RateLimiter for
// this max and windowMs, count a hit for key, throw the 429 when it is refused (assertAllowed),
// and return the result when it is allowed.
/** The seed's one-call form: one shared limiter per (max, windowMs) pair. */
export function rateLimit(key: string, max: number, windowMs: number): RateLimitResult {
  return notImplemented("lesson-6", "rateLimit");
}
