// Mistake: every miss overwrites the remembered generation, so a load from before a write is stamped with the generation after it.

import { randomUUID } from "node:crypto";
import type { Redis, Result } from "ioredis";
import { MemoryCache } from "@/lib/cache";
import { RedisOutage } from "@/lib/redis";

// A cache that stays correct across instances: each instance keeps its values in its own memory
// (a MemoryCache), and Redis holds one small "generation" token per key namespace ("users:").
// Every write replaces its namespace's token; every read compares the token its local entry was
// stored under with the current one, and treats a difference as a miss. So once a write has
// answered, no instance serves what it had cached before: its next read sees the new token.
//
// Why not the alternatives:
// - A shared cache (values in Redis) costs the same round trip per read, plus serializing every
//   value (BigInt ids and Dates do not survive JSON) and a SCAN or a tag set to drop a prefix.
//   Here Redis holds a few tokens, whatever the number of users, and values never leave memory.
// - Pub/sub invalidation alone is cheaper (no round trip per read), but the message reaches the
//   other instances some time after the write has answered; a read in between serves the old
//   row. A short TTL has the same hole, only wider.

/** What the users service needs from its cache: the in-memory MemoryCache, or this one. */
export type Cache = {
  get<T>(key: string): T | null | Promise<T | null>;
  set<T>(key: string, data: T, ttlMs: number): void | Promise<void>;
  invalidatePrefix(prefix: string): void | Promise<void>;
};

// KEYS: generation keys. ARGV[1]: their lifetime in ms; ARGV[i + 1]: a fresh token for KEYS[i].
// A missing generation (never written, expired, lost in a Redis restart) is created with a fresh
// token rather than read as "none": entries stored under the old token then miss, as they must,
// since a write may have happened while it was missing. Returns the current tokens.
export const GENERATIONS_SCRIPT = `
local tokens = {}
for i, key in ipairs(KEYS) do
  local token = redis.call('GET', key)
  if not token then
    token = ARGV[i + 1]
    redis.call('SET', key, token, 'PX', ARGV[1])
  end
  tokens[i] = token
end
return tokens
`;

declare module "ioredis" {
  interface RedisCommander<Context> {
    cacheGenerations(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Result<string[], Context>;
  }
}

type Stamped<T> = { data: T; generation: string };

export type CoherentCacheOptions = {
  redis: Redis;
  /** Where the values live; by default a MemoryCache of 1,000 entries. */
  local?: MemoryCache;
  /** Put before every generation key in Redis. */
  prefix?: string;
  /**
   * How long a generation token lives in Redis after its last write. Its expiry only makes every
   * entry miss once (a new token is created); it keeps Redis from holding tokens for ever.
   */
  generationTtlMs?: number;
  /** Shared with the rate limiter when they use one connection, so an outage is logged once. */
  outage?: RedisOutage;
};

/**
 * A MemoryCache per instance, checked against Redis on every read. While Redis is unavailable it
 * is bypassed (every read is a miss, so the database answers) rather than trusted: another
 * instance may be writing. A write made meanwhile is announced as soon as Redis answers again.
 */
export class CoherentCache implements Cache {
  private readonly redis: Redis;
  private readonly local: MemoryCache;
  private readonly prefix: string;
  private readonly generationTtlMs: number;
  private readonly outage: RedisOutage;
  // The generation seen by a read that missed, for the `set` that follows it: a value loaded
  // after that read must be stored under that generation, not the one current when the load
  // ends, or a write made during the load would be hidden. Bounded, and forgotten after a while
  // (a read whose load failed never sets), so it cannot grow.
  private readonly seen = new MemoryCache();
  private readonly pendingWrites = new Set<string>();

  constructor(options: CoherentCacheOptions) {
    this.redis = options.redis;
    this.local = options.local ?? new MemoryCache();
    this.prefix = options.prefix ?? "cache:generation:";
    this.generationTtlMs = options.generationTtlMs ?? 24 * 60 * 60_000;
    this.outage = options.outage ?? new RedisOutage();
    this.redis.defineCommand("cacheGenerations", { lua: GENERATIONS_SCRIPT });
  }

  /** Entries held in this instance's memory. */
  get size(): number {
    return this.local.size;
  }

  async get<T>(key: string): Promise<T | null> {
    const generation = await this.outage.run(
      () => this.currentGeneration(key),
      () => null,
    );
    if (generation === null) return null;
    const entry = this.local.get<Stamped<T>>(key);
    if (entry) {
      if (entry.generation === generation) return entry.data;
      this.local.invalidate(key);
    }
    // Several reads may miss at once: the oldest generation wins, so no load is stamped newer
    // than the data it read.
    this.seen.set(key, generation, 10_000);
    return null;
  }

  set<T>(key: string, data: T, ttlMs: number): void {
    const generation = this.seen.get<string>(key);
    this.seen.invalidate(key);
    // No read saw a generation (Redis was down, or set without get): do not trust the value.
    if (generation === null) return;
    this.local.set<Stamped<T>>(key, { data, generation }, ttlMs);
  }

  /** Drops every key that starts with `prefix`, on this instance at once and on the others on their next read. */
  async invalidatePrefix(prefix: string): Promise<void> {
    this.local.invalidatePrefix(prefix);
    await this.announce(this.generationKeyFor(prefix));
  }

  /** Drops one key everywhere (with the rest of its namespace on other instances: simpler, still correct). */
  async invalidate(key: string): Promise<void> {
    this.local.invalidate(key);
    await this.announce(this.generationKeyFor(key));
  }

  private async announce(generationKey: string): Promise<void> {
    this.pendingWrites.add(generationKey);
    await this.outage.run(
      () => this.flushPendingWrites(),
      () => undefined,
    );
  }

  private async flushPendingWrites(): Promise<void> {
    for (const key of [...this.pendingWrites]) {
      await this.redis.set(key, randomUUID(), "PX", this.generationTtlMs);
      this.pendingWrites.delete(key);
    }
  }

  /** The current generation of the namespace of `key`, joined with the global one. */
  private async currentGeneration(key: string): Promise<string> {
    // A write whose announcement failed during an outage goes out before anything is trusted.
    if (this.pendingWrites.size > 0) await this.flushPendingWrites();
    const namespace = namespaceOf(key);
    const keys = namespace ? [this.globalKey(), this.namespaceKey(namespace)] : [this.globalKey()];
    const tokens = await this.redis.cacheGenerations(
      keys.length,
      ...keys,
      this.generationTtlMs,
      ...keys.map(() => randomUUID()),
    );
    return tokens.join("/");
  }

  /**
   * A prefix inside one namespace ("users:", "users:list:") changes that namespace's generation;
   * a prefix that may span namespaces ("", "us") changes the global one, which every key checks.
   */
  private generationKeyFor(prefixOrKey: string): string {
    const namespace = namespaceOf(prefixOrKey);
    return namespace ? this.namespaceKey(namespace) : this.globalKey();
  }

  private globalKey(): string {
    return `${this.prefix}*`;
  }

  private namespaceKey(namespace: string): string {
    return `${this.prefix}${namespace}`;
  }
}

/** "users:" for "users:id:42" and "users:list:", "" for a key without a colon. */
function namespaceOf(key: string): string {
  return key.slice(0, key.indexOf(":") + 1);
}
