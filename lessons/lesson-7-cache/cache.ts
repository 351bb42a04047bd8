// A TTL cache with prefix invalidation and a hard size bound. A Map keeps insertion order, so
// moving an entry to the end on every read makes the first key the least recently used one.
// Without the bound, a cache keyed by ids grows with every distinct id ever asked for.

import { notImplemented } from "../not-implemented";

type Entry<T> = { data: T; expiresAt: number };

export type MemoryCacheOptions = {
  /** Most entries held; the least recently used one is evicted to make room. */
  maxEntries?: number;
  /** Clock, replaceable in tests. */
  now?: () => number;
};

export class MemoryCache {
  private readonly store = new Map<string, Entry<unknown>>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 1_000;
    this.now = options.now ?? Date.now;
    // TODO: throw a RangeError("maxEntries must be a positive integer, got …") when maxEntries
    // is not a whole number of at least 1 (0, -1, 1.5, NaN and Infinity are all refused).
  }

  // TODO: the number of entries in the store (expired ones that nobody has read yet included).
  get size(): number {
    return notImplemented("lesson-7", "size");
  }

  // TODO: return the entry's data, or null when the key is missing or expired. An entry is
  // expired from the moment now() reaches expiresAt; delete it so it stops taking memory. A hit
  // must also move the key to the end of the Map, which marks it as the most recently used.
  get<T>(key: string): T | null {
    return notImplemented("lesson-7", "get");
  }

  // TODO: store { data, expiresAt: now() + ttlMs } as the most recently used key. Refuse a ttlMs
  // that is not a positive number with a RangeError("ttlMs must be positive, got …") before
  // touching the store. When the cache is full, evict the least recently used keys (the first
  // ones in the Map) until there is room; overwriting a key that is already there evicts nothing.
  set<T>(key: string, data: T, ttlMs: number): void {
    notImplemented("lesson-7", "set");
  }

  // TODO: drop one key; a key that is not there is not an error.
  invalidate(key: string): void {
    notImplemented("lesson-7", "invalidate");
  }

  // TODO: delete every key that starts with prefix, and only those.
  /** Drops every key that starts with `prefix`, such as "users:" after any write to users. */
  invalidatePrefix(prefix: string): void {
    notImplemented("lesson-7", "invalidatePrefix");
  }

  // TODO: drop every entry.
  clear(): void {
    notImplemented("lesson-7", "clear");
  }
}
