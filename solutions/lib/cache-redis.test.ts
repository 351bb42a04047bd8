import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, expect, it, vi } from "vitest";
import { MemoryCache } from "@/lib/cache";
import { CoherentCache } from "@/lib/cache-redis";
import { createRedis, RedisOutage } from "@/lib/redis";
import { describeWithRedis, inspector, type RedisServer, startRedisServer, startProxy, startSilentServer } from "@/testing/redis-server";

// Two CoherentCaches on two connections stand for two API instances sharing one Redis. Each test
// uses a prefix of its own in Redis, so tests never see each other's generations.

let server: RedisServer;
let look: Redis;
const clients: Redis[] = [];

function client(url = server.url, timeoutMs = 200): Redis {
  const redis = createRedis(url, { timeoutMs });
  clients.push(redis);
  return redis;
}

async function ready(redis: Redis): Promise<Redis> {
  if (redis.status !== "ready") await new Promise((resolve) => redis.once("ready", resolve));
  return redis;
}

const quietOutage = () => new RedisOutage({ warn: vi.fn(), info: vi.fn() });

/** Two instances' caches over the same Redis namespace. */
async function instances(prefix = `test:${randomUUID()}:`) {
  const make = async () => new CoherentCache({ redis: await ready(client()), prefix, outage: quietOutage() });
  return { a: await make(), b: await make(), prefix };
}

/** What the users service does: read, and on a miss load and store. */
async function readThrough<T>(cache: CoherentCache, key: string, load: () => T, ttlMs = 60_000): Promise<T> {
  const hit = await cache.get<T>(key);
  if (hit !== null) return hit;
  const value = load();
  cache.set(key, value, ttlMs);
  return value;
}

describeWithRedis("CoherentCache", () => {
  beforeAll(async () => {
    server = await startRedisServer();
    look = inspector(server.url);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((redis) => redis.quit().catch(() => redis.disconnect())));
  });

  afterAll(async () => {
    look?.disconnect();
    await server?.stop();
  });

  it("serves a value stored after a miss from this instance's memory", async () => {
    const { a } = await instances();
    const load = vi.fn(() => ({ name: "Ada" }));
    const first = await readThrough(a, "users:id:1", load);
    expect(await readThrough(a, "users:id:1", load)).toBe(first);
    expect(load).toHaveBeenCalledTimes(1);
    expect(a.size).toBe(1);
  });

  it("keeps the values of each instance in its own memory, not in Redis", async () => {
    const { a, prefix } = await instances();
    for (let id = 0; id < 50; id += 1) await readThrough(a, `users:id:${id}`, () => ({ id }));
    const keys = await look.keys(`${prefix}*`);
    expect(keys.sort(), "one generation for all keys, one for the users: namespace").toEqual([`${prefix}*`, `${prefix}users:`]);
  });

  it("makes another instance miss on its next read after a write invalidated the prefix", async () => {
    const { a, b } = await instances();
    await readThrough(b, "users:id:1", () => "old name");
    await a.invalidatePrefix("users:");
    expect(await b.get("users:id:1"), "instance B must not serve what it cached before A's write").toBeNull();
    expect(await readThrough(b, "users:id:1", () => "new name")).toBe("new name");
  });

  it("drops the prefix on the writing instance at once", async () => {
    const { a } = await instances();
    await readThrough(a, "users:id:1", () => "old");
    await a.invalidatePrefix("users:");
    expect(a.size).toBe(0);
    expect(await a.get("users:id:1")).toBeNull();
  });

  it("does not serve a value loaded before a write that happened during the load", async () => {
    const { a, b } = await instances();
    expect(await b.get("users:id:1"), "B misses and starts loading the old row").toBeNull();
    await a.invalidatePrefix("users:");
    b.set("users:id:1", "the row as it was before A's write", 60_000);
    expect(await b.get("users:id:1"), "stored under the generation B read before loading, so it misses").toBeNull();
  });

  it("keeps other namespaces when a prefix inside one namespace is invalidated", async () => {
    const { a, b } = await instances();
    await readThrough(b, "users:id:1", () => "user");
    await readThrough(b, "posts:id:1", () => "post");
    await a.invalidatePrefix("users:list:");
    expect(await b.get("users:id:1"), "the whole users: namespace is dropped: coarser, still correct").toBeNull();
    expect(await b.get("posts:id:1")).toBe("post");
  });

  it.each([
    ["a prefix without a colon", "us"],
    ["the empty prefix", ""],
  ])("drops every namespace on other instances for %s", async (_, prefix) => {
    const { a, b } = await instances();
    await readThrough(b, "users:id:1", () => "user");
    await readThrough(b, "posts:id:1", () => "post");
    await a.invalidatePrefix(prefix);
    expect([await b.get("users:id:1"), await b.get("posts:id:1")]).toEqual([null, null]);
  });

  it("drops one key's namespace on other instances for invalidate(key)", async () => {
    const { a, b } = await instances();
    await readThrough(b, "users:id:1", () => "user");
    await a.invalidate("users:id:1");
    expect(await b.get("users:id:1")).toBeNull();
  });

  it("gives every generation in Redis an expiry, so Redis never keeps them for ever", async () => {
    const { a, prefix } = await instances();
    await readThrough(a, "users:id:1", () => "user");
    await a.invalidatePrefix("users:");
    for (const key of await look.keys(`${prefix}*`)) {
      const ttl = await look.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(24 * 60 * 60_000);
    }
  });

  it("treats lost generations (a Redis restart, an eviction) as a write: every entry misses", async () => {
    const { a, prefix } = await instances();
    await readThrough(a, "users:id:1", () => "user");
    await look.del(`${prefix}*`, `${prefix}users:`);
    expect(await a.get("users:id:1")).toBeNull();
  });

  it("stores nothing on set without a read before it, since it cannot know which generation the value is from", async () => {
    const { a } = await instances();
    a.set("users:id:1", "unchecked", 60_000);
    expect(await a.get("users:id:1")).toBeNull();
  });

  it("lets the entry's TTL expire it like the in-memory cache does", async () => {
    let now = 0;
    const redis = await ready(client());
    const cache = new CoherentCache({ redis, prefix: `test:${randomUUID()}:`, local: new MemoryCache({ now: () => now }), outage: quietOutage() });
    await readThrough(cache, "users:id:1", () => "user", 1_000);
    now = 999;
    expect(await cache.get("users:id:1")).toBe("user");
    now = 1_000;
    expect(await cache.get("users:id:1")).toBeNull();
  });
});

describeWithRedis("CoherentCache when Redis is unavailable", () => {
  afterEach(async () => {
    for (const redis of clients.splice(0)) redis.disconnect();
  });

  it("is bypassed while Redis is stopped: reads miss, writes do not throw, one warning is logged", async () => {
    const own = await startRedisServer();
    const warn = vi.fn();
    const cache = new CoherentCache({ redis: await ready(client(own.url)), outage: new RedisOutage({ warn, info: vi.fn() }) });
    await readThrough(cache, "users:id:1", () => "cached before the outage");
    await own.stop();
    const started = Date.now();
    const load = vi.fn(() => "from the database");
    expect(await readThrough(cache, "users:id:1", load)).toBe("from the database");
    expect(await readThrough(cache, "users:id:1", load), "nothing is cached while Redis cannot vouch for it").toBe("from the database");
    await expect(cache.invalidatePrefix("users:")).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(load).toHaveBeenCalledTimes(2);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it("answers a read within the command timeout when Redis accepts connections but never replies", async () => {
    const silent = await startSilentServer();
    try {
      const cache = new CoherentCache({ redis: client(silent.url, 100), outage: quietOutage() });
      const started = Date.now();
      expect(await cache.get("users:id:1")).toBeNull();
      expect(Date.now() - started).toBeLessThan(600);
    } finally {
      await silent.stop();
    }
  });

  it("announces a write made while its instance could not reach Redis as soon as it can again", async () => {
    const own = await startRedisServer();
    const link = await startProxy(own.port);
    try {
      const prefix = `test:${randomUUID()}:`;
      let now = Date.now();
      const writer = new CoherentCache({ redis: await ready(client(link.url)), prefix, outage: new RedisOutage({ warn: vi.fn(), info: vi.fn(), now: () => now }) });
      const reader = new CoherentCache({ redis: await ready(client(own.url)), prefix, outage: quietOutage() });
      await readThrough(reader, "users:id:1", () => "before the write");
      await link.cut();
      await writer.invalidatePrefix("users:");
      expect(await reader.get("users:id:1"), "while the writer is cut off, the reader cannot know").toBe("before the write");
      await link.restore();
      const writerRedis = clients.at(-2)!;
      await vi.waitFor(() => expect(writerRedis.status).toBe("ready"), { timeout: 5_000 });
      now += 1_000;
      await writer.get("users:id:2");
      expect(await reader.get("users:id:1"), "the reader sees the write once the writer reaches Redis").toBeNull();
    } finally {
      await link.stop();
      await own.stop();
    }
  });
});
