import { Redis } from "ioredis";
import { config } from "@/lib/config";
import { logger } from "@/lib/logger";

// The Redis connection the rate limiter and the cache share when REDIS_URL is set, and what the
// API does when Redis stops answering: it keeps answering, never waits long, and says so once.
//
// The client is ioredis rather than node-redis: it defines a Lua script once as a command
// (`defineCommand`, sent by SHA and re-sent whole after a Redis restart empties the script
// cache), pipelines concurrent commands from many requests into one write, reconnects on its
// own, and its timeouts are plain options: what a request path needs from a client.

export type RedisOptions = {
  /** Longest wait for one command's reply, in ms: past it the command fails and the caller falls back. */
  timeoutMs: number;
};

/**
 * A client that fails fast instead of queueing: while the connection is down a command fails
 * at once (no offline queue once connected), a command sent to a server that stopped answering fails after
 * `timeoutMs` (and is not retried), and reconnection keeps trying in the background. Only
 * before the first connection is made do commands wait for it (at most `timeoutMs` each), so
 * the first requests of a fresh instance use Redis instead of falling back.
 */
export function createRedis(url: string, { timeoutMs }: RedisOptions): Redis {
  const client = new Redis(url, {
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(timeoutMs, 1_000),
    enableOfflineQueue: true,
    maxRetriesPerRequest: 0,
    enableAutoPipelining: true,
    // Reconnect quickly at first, then every 2 s at most, for ever: Redis comes back by itself.
    retryStrategy: (times) => Math.min(times * 100, 2_000),
    connectionName: "users-api",
  });
  // Without a listener ioredis prints every failed reconnection; the outage is logged once, by
  // the code that notices a command failing (RedisOutage below).
  client.on("error", () => {});
  // ioredis reads this option on every command: from now on, a lost connection fails at once.
  client.once("ready", () => {
    client.options.enableOfflineQueue = false;
  });
  return client;
}

export type RedisConnection = { redis: Redis; outage: RedisOutage };

let shared: RedisConnection | null | undefined;

/**
 * The process's client for REDIS_URL and its outage tracker (one for the limiter and the cache,
 * so an outage is logged once), created on first use; null when REDIS_URL is unset.
 */
export function redisConnection(): RedisConnection | null {
  if (shared === undefined) {
    const { REDIS_URL, REDIS_TIMEOUT_MS } = config();
    shared = REDIS_URL
      ? { redis: createRedis(REDIS_URL, { timeoutMs: REDIS_TIMEOUT_MS }), outage: new RedisOutage() }
      : null;
  }
  return shared;
}

export const REDIS_DOWN_MESSAGE =
  "Redis is unavailable: rate limits are counted by each instance alone " +
  "and the cache is bypassed until it answers again";
export const REDIS_BACK_MESSAGE = "Redis answers again: rate limits and the cache are shared again";

export type RedisOutageOptions = {
  /** After a failure, Redis is left alone for this long (ms) before one call tries it again. */
  retryAfterMs?: number;
  warn?: (data: Record<string, unknown>) => void;
  info?: (data: Record<string, unknown>) => void;
  now?: () => number;
};

/**
 * Tracks whether Redis can be used. After a failed call, Redis is skipped for `retryAfterMs`, so
 * that a server that hangs costs one timeout per second rather than one per request; the first
 * failure of an outage logs one warning line, and the first success after it one info line.
 */
export class RedisOutage {
  private down = false;
  private skipUntil = 0;
  private readonly retryAfterMs: number;
  private readonly now: () => number;
  private readonly warn: (data: Record<string, unknown>) => void;
  private readonly info: (data: Record<string, unknown>) => void;

  constructor(options: RedisOutageOptions = {}) {
    this.retryAfterMs = options.retryAfterMs ?? 1_000;
    this.now = options.now ?? Date.now;
    this.warn = options.warn ?? logger.warn;
    this.info = options.info ?? logger.info;
  }

  /** Whether Redis is believed down right now. */
  get isDown(): boolean {
    return this.down;
  }

  /** Runs `call` against Redis, or `fallback` when Redis is known down or the call fails. */
  async run<T>(call: () => Promise<T>, fallback: () => T | Promise<T>): Promise<T> {
    if (this.down && this.now() < this.skipUntil) return fallback();
    let value: T;
    try {
      value = await call();
    } catch (error) {
      this.failed(error);
      return fallback();
    }
    this.succeeded();
    return value;
  }

  failed(error: unknown): void {
    this.skipUntil = this.now() + this.retryAfterMs;
    if (this.down) return;
    this.down = true;
    this.warn({ msg: REDIS_DOWN_MESSAGE, error: errorMessage(error) });
  }

  succeeded(): void {
    if (!this.down) return;
    this.down = false;
    this.info({ msg: REDIS_BACK_MESSAGE });
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
