import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryCache, type MemoryCacheOptions } from "./cache";

// Every cache gets its own clock that the test moves by hand, so a TTL is checked to the
// millisecond without waiting for real time to pass.
function setup(options: MemoryCacheOptions = {}) {
  const clock = { now: 1_000_000 };
  const cache = new MemoryCache({ now: () => clock.now, ...options });
  return { cache, clock };
}

const TTL = 1_000;

describe("get and set", () => {
  it("returns null for a key that was never set", () => {
    const { cache } = setup();
    expect(cache.get("users:1"), "get() of an unknown key must return null").toBeNull();
  });

  it("returns the value stored under a key, on every read", () => {
    const { cache } = setup();
    cache.set("users:1", "Alice", TTL);
    expect(cache.get("users:1"), "get() right after set()").toBe("Alice");
    expect(cache.get("users:1"), "a second get(): a hit must stay in the cache").toBe("Alice");
  });

  it("keeps the values of different keys apart", () => {
    const { cache } = setup();
    cache.set("users:1", "Alice", TTL);
    cache.set("users:2", "Bob", TTL);
    expect([cache.get("users:1"), cache.get("users:2")]).toEqual(["Alice", "Bob"]);
  });

  it.each([
    ["zero", 0],
    ["the empty string", ""],
    ["false", false],
  ])("caches %s and returns it as a hit, not as a miss", (_name, value) => {
    const { cache } = setup();
    cache.set("k", value, TTL);
    expect(cache.get("k"), `a cached ${JSON.stringify(value)} must come back as itself, not null`).toBe(value);
  });

  // The cache hands back the very object it was given: copying it on every read (structuredClone)
  // would cost time in proportion to its size and fails on functions and class instances. The
  // price is that callers must treat a cached value as read-only; mutating it changes the cache.
  it("returns the stored object itself, not a copy", () => {
    const { cache } = setup();
    const user = { id: 1, name: "Alice" };
    cache.set("users:1", user, TTL);
    expect(cache.get("users:1"), "get() must return the same object reference that set() stored").toBe(user);
  });

  it("counts the stored entries in size", () => {
    const { cache } = setup();
    expect(cache.size, "an empty cache").toBe(0);
    cache.set("a", 1, TTL);
    cache.set("b", 2, TTL);
    expect(cache.size, "after two set() calls with different keys").toBe(2);
  });
});

describe("time to live", () => {
  it("serves an entry until the last millisecond before it expires", () => {
    const { cache, clock } = setup();
    cache.set("k", "v", TTL);
    clock.now += TTL - 1;
    expect(cache.get("k"), `get() ${TTL - 1} ms after set() with a ${TTL} ms TTL`).toBe("v");
  });

  it("treats an entry as expired at exactly its expiry time", () => {
    const { cache, clock } = setup();
    cache.set("k", "v", TTL);
    clock.now += TTL;
    expect(cache.get("k"), "an entry expires when now() reaches expiresAt (use >=, not >)").toBeNull();
  });

  it("removes an expired entry when it is read, so size drops", () => {
    const { cache, clock } = setup();
    cache.set("k", "v", TTL);
    cache.set("other", "v", TTL * 10);
    clock.now += TTL;
    cache.get("k");
    expect(cache.size, "get() of an expired key must delete it from the store").toBe(1);
    expect(cache.get("other"), "the entry that has not expired stays").toBe("v");
  });

  it("replaces the value and restarts the TTL when a key is set again", () => {
    const { cache, clock } = setup();
    cache.set("k", "old", TTL);
    clock.now += TTL - 1;
    cache.set("k", "new", TTL);
    clock.now += TTL - 1;
    expect(cache.get("k"), "the second set() must start a fresh TTL with the new value").toBe("new");
    clock.now += 1;
    expect(cache.get("k"), "…which then ends one TTL after the second set()").toBeNull();
  });

  it("does not grow when a key is set again", () => {
    const { cache } = setup();
    cache.set("k", 1, TTL);
    cache.set("k", 2, TTL);
    expect(cache.size, "setting the same key twice must leave one entry").toBe(1);
  });

  describe("with no clock given", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it("measures time with Date.now", () => {
      vi.useFakeTimers();
      vi.setSystemTime(50_000);
      const cache = new MemoryCache();
      cache.set("k", "v", TTL);
      vi.setSystemTime(50_000 + TTL - 1);
      expect(cache.get("k"), "one millisecond before the TTL ends, by Date.now").toBe("v");
      vi.setSystemTime(50_000 + TTL);
      expect(cache.get("k"), "when the TTL ends, by Date.now").toBeNull();
    });
  });

  it.each([0, -1, Number.NaN])("refuses a TTL of %s with a RangeError", (ttl) => {
    const { cache } = setup();
    expect(() => cache.set("k", "v", ttl), `set() with ttlMs ${ttl} must throw a RangeError`).toThrow(RangeError);
    expect(() => cache.set("k", "v", ttl)).toThrow(`ttlMs must be positive, got ${ttl}`);
  });

  it("keeps the previous value when a set is refused", () => {
    const { cache } = setup();
    cache.set("k", "kept", TTL);
    expect(() => cache.set("k", "lost", 0)).toThrow(RangeError);
    expect(cache.get("k"), "a refused set() must not touch the store").toBe("kept");
  });
});

describe("invalidation", () => {
  it("invalidate removes one key and leaves the others", () => {
    const { cache } = setup();
    cache.set("users:1", "Alice", TTL);
    cache.set("users:2", "Bob", TTL);
    cache.invalidate("users:1");
    expect(cache.get("users:1"), "the invalidated key").toBeNull();
    expect(cache.get("users:2"), "a key that was not invalidated").toBe("Bob");
  });

  it("invalidate of a key that is not there does nothing", () => {
    const { cache } = setup();
    cache.set("users:1", "Alice", TTL);
    expect(() => cache.invalidate("users:404"), "invalidating a missing key is not an error").not.toThrow();
    expect(cache.size).toBe(1);
  });

  it("invalidatePrefix removes exactly the keys that start with the prefix", () => {
    const { cache } = setup();
    const keys = ["users:1", "users:list:20:", "users-admin", "posts:1", "posts:users:1", "Users:2"];
    for (const key of keys) cache.set(key, key, TTL);
    cache.invalidatePrefix("users:");
    const left = keys.filter((key) => cache.get(key) !== null);
    expect(left, 'after invalidatePrefix("users:") only keys that do not START with "users:" remain').toEqual([
      "users-admin",
      "posts:1",
      "posts:users:1",
      "Users:2",
    ]);
  });

  it("clear removes every entry", () => {
    const { cache } = setup();
    cache.set("users:1", "Alice", TTL);
    cache.set("posts:1", "Hello", TTL);
    cache.clear();
    expect(cache.size, "size after clear()").toBe(0);
    expect(cache.get("users:1")).toBeNull();
  });
});

describe("size bound", () => {
  it("holds at most 1,000 entries by default", () => {
    const { cache } = setup();
    for (let i = 0; i <= 1_000; i++) cache.set(`k${i}`, i, TTL);
    expect(cache.size, "1,001 distinct keys into a default cache").toBe(1_000);
    expect(cache.get("k0"), "the first key set is the one evicted").toBeNull();
    expect(cache.get("k1000"), "the last key set is kept").toBe(1_000);
  });

  it("never holds more than maxEntries, even after 100,000 distinct keys", () => {
    const { cache } = setup({ maxEntries: 100 });
    for (let i = 0; i < 100_000; i++) cache.set(`users:id:${i}`, i, 60_000);
    expect(cache.size, "a cache keyed by id must not grow with every id ever asked for").toBe(100);
  });

  it("evicts the oldest key when a new key arrives and the cache is full", () => {
    const { cache } = setup({ maxEntries: 2 });
    cache.set("a", 1, TTL);
    cache.set("b", 2, TTL);
    cache.set("c", 3, TTL);
    expect([cache.get("a"), cache.get("b"), cache.get("c")], "[a, b, c] after setting a, b, c with room for 2").toEqual(
      [null, 2, 3],
    );
  });

  it("keeps a recently read key and evicts the least recently used one", () => {
    const { cache } = setup({ maxEntries: 2 });
    cache.set("a", 1, TTL);
    cache.set("b", 2, TTL);
    cache.get("a");
    cache.set("c", 3, TTL);
    expect(cache.get("a"), "a was read after b was set, so b is the least recently used").toBe(1);
    expect(cache.get("b"), "b is the least recently used key and must be evicted").toBeNull();
    expect(cache.get("c")).toBe(3);
  });

  it("counts setting a key again as a use", () => {
    const { cache } = setup({ maxEntries: 2 });
    cache.set("a", 1, TTL);
    cache.set("b", 2, TTL);
    cache.set("a", 10, TTL);
    cache.set("c", 3, TTL);
    expect([cache.get("a"), cache.get("b")], "a was set again after b, so b goes").toEqual([10, null]);
  });

  it("evicts nothing when a key that is already there is set again at capacity", () => {
    const { cache } = setup({ maxEntries: 2 });
    cache.set("a", 1, TTL);
    cache.set("b", 2, TTL);
    cache.set("b", 20, TTL);
    expect(cache.size, "overwriting does not need room for a new entry").toBe(2);
    expect([cache.get("a"), cache.get("b")]).toEqual([1, 20]);
  });

  it("works with the smallest bound, maxEntries 1", () => {
    const { cache } = setup({ maxEntries: 1 });
    cache.set("a", 1, TTL);
    cache.set("b", 2, TTL);
    expect([cache.get("a"), cache.get("b")], "a cache of one holds only the newest key").toEqual([null, 2]);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    "refuses maxEntries %s with a RangeError",
    (maxEntries) => {
      expect(
        () => new MemoryCache({ maxEntries }),
        `new MemoryCache({ maxEntries: ${maxEntries} }) must throw a RangeError in the constructor`,
      ).toThrow(RangeError);
      expect(() => new MemoryCache({ maxEntries })).toThrow(`maxEntries must be a positive integer, got ${maxEntries}`);
    },
  );
});
