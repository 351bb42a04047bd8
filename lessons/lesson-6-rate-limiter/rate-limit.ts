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
  // Already written, with oldest() below: the oldest window, found through one long-lived
  // iterator. A new Map iterator (`this.windows.keys().next()`) starts at the first slot and steps
  // over every entry deleted since the Map last compacted itself, so a limiter flooded with new
  // keys would pay thousands of steps per request. This one only moves forward.
  private cursor = this.windows.entries();
  private head: [string, Window] | undefined;

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
  //   keys, first delete the oldest one (the key of this.oldest(), below);
  // - add 1 to the count. The request is allowed while count <= max; remaining is what is left
  //   (never below 0); retryAfterSeconds is the time until resetAt in whole seconds, rounded up,
  //   and at least 1.
  /** Counts one request for `key` and says whether it may proceed. */
  hit(key: string): RateLimitResult {
    return notImplemented("lesson-6", "RateLimiter.hit");
  }

  // TODO: delete the windows that have ended (now >= resetAt). They are at the front of the Map:
  // delete this.oldest() while its window has ended, and stop at the first one that has not.
  private dropExpired(now: number): void {
    notImplemented("lesson-6", "RateLimiter.dropExpired");
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

// TODO: the textbook version's one-call form. Find (or create and remember in `limiters`) the RateLimiter for
// this max and windowMs, count a hit for key, throw the 429 when it is refused (assertAllowed),
// and return the result when it is allowed.
/** The textbook version's one-call form: one shared limiter per (max, windowMs) pair. */
export function rateLimit(key: string, max: number, windowMs: number): RateLimitResult {
  return notImplemented("lesson-6", "rateLimit");
}
