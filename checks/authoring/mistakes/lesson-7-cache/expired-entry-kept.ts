// Mistake: an expired entry is answered as a miss but never deleted.

// A TTL cache with prefix invalidation and a hard size bound. A Map keeps insertion order, so
// moving an entry to the end on every read makes the first key the least recently used one.
// Without the bound, a cache keyed by ids grows with every distinct id ever asked for.

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
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${options.maxEntries}`);
    }
  }

  get size(): number {
    return this.store.size;
  }

  get<T>(key: string): T | null {
    const entry = this.store.get(key) as Entry<T> | undefined;
    if (!entry) return null;
    if (this.now() >= entry.expiresAt) return null;
    this.store.delete(key);
    this.store.set(key, entry);
    return entry.data;
  }

  set<T>(key: string, data: T, ttlMs: number): void {
    if (!(ttlMs > 0)) throw new RangeError(`ttlMs must be positive, got ${ttlMs}`);
    this.store.delete(key);
    while (this.store.size >= this.maxEntries) {
      this.store.delete(this.store.keys().next().value as string);
    }
    this.store.set(key, { data, expiresAt: this.now() + ttlMs });
  }

  invalidate(key: string): void {
    this.store.delete(key);
  }

  /** Drops every key that starts with `prefix`, such as "users:" after any write to users. */
  invalidatePrefix(prefix: string): void {
    for (const key of this.store.keys()) {
      if (key.startsWith(prefix)) this.store.delete(key);
    }
  }

  clear(): void {
    this.store.clear();
  }
}
