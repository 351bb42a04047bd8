import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, expect, it, vi } from "vitest";
import { MemoryCache } from "@/lib/cache";
import { createRedis, RedisOutage } from "@/lib/redis";
import {
  describeWithRedis,
  inspector,
  type RedisServer,
  redisServerForFile,
  startProxy,
  startSilentServer,
} from "@/testing/redis-server";
import { CoherentCache } from "./cache-redis";

// These tests run against a real redis-server that they start on a free port and stop at the
// end. Two CoherentCaches on two connections stand for two instances of the API sharing one
// Redis. Each test gets a Redis prefix of its own, so no test sees another's generations, and
// takes its outages through a proxy of its own (startProxy): cut, slowed or hanging.

const redisServer = redisServerForFile();
let server: RedisServer;
/** A separate connection to look inside Redis, as you would with redis-cli. */
let look: Redis;
const clients: Redis[] = [];

async function connect(url = server.url, timeoutMs = 2_000): Promise<Redis> {
  const redis = createRedis(url, { timeoutMs });
  clients.push(redis);
  if (redis.status !== "ready") await new Promise((resolve) => redis.once("ready", resolve));
  return redis;
}

const quiet = () => new RedisOutage({ warn: vi.fn(), info: vi.fn() });

/** Two instances' caches (A and B) over one Redis. */
async function instances(prefix = `test:${randomUUID()}:`) {
  const a = new CoherentCache({ redis: await connect(), prefix, outage: quiet() });
  const b = new CoherentCache({ redis: await connect(), prefix, outage: quiet() });
  return { a, b, prefix };
}

/** What the users service does with its cache: read; on a miss, load and store. */
async function readThrough<T>(cache: CoherentCache, key: string, load: () => T, ttlMs = 60_000): Promise<T> {
  const hit = await cache.get<T>(key);
  if (hit !== null) return hit;
  const value = load();
  cache.set(key, value, ttlMs);
  return value;
}

describeWithRedis("CoherentCache", () => {
  beforeAll(async () => {
    server = await redisServer();
    look = inspector(server.url);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((redis) => redis.quit().catch(() => redis.disconnect())));
  });

  afterAll(() => {
    look?.disconnect();
  });

  it("serves a value stored after a miss from this instance's memory", async () => {
    const { a } = await instances();
    const load = vi.fn(() => ({ name: "Ada" }));
    const first = await readThrough(a, "users:id:1", load);
    expect(await readThrough(a, "users:id:1", load), "the second read is a hit, the very object stored").toBe(first);
    expect(load, "the value was loaded once").toHaveBeenCalledTimes(1);
  });

  it("keeps the values in each instance's memory: Redis holds only the generations", async () => {
    const { a, prefix } = await instances();
    for (let id = 0; id < 50; id += 1) await readThrough(a, `users:id:${id}`, () => ({ id }));
    expect(a.size, "50 values in this instance's MemoryCache").toBe(50);
    expect((await look.keys(`${prefix}*`)).sort(), "one global generation and one for the users: namespace").toEqual([
      `${prefix}*`,
      `${prefix}users:`,
    ]);
  });

  it("makes another instance miss on its next read after a write through this one", async () => {
    const { a, b } = await instances();
    await readThrough(b, "users:id:1", () => "old name");
    await a.invalidatePrefix("users:");
    expect(
      await b.get("users:id:1"),
      "B must not serve what it cached before A's write: A must write a new generation to Redis, and await it",
    ).toBeNull();
    expect(await readThrough(b, "users:id:1", () => "new name")).toBe("new name");
  });

  it("has announced the write in Redis by the time invalidatePrefix resolves, even over a slow link", async () => {
    const link = await startProxy(server.port);
    try {
      const prefix = `test:${randomUUID()}:`;
      const a = new CoherentCache({ redis: await connect(link.url, 1_000), prefix, outage: quiet() });
      link.slow(100);
      await readThrough(a, "users:id:1", () => "user");
      const before = await look.get(`${prefix}users:`);
      await a.invalidatePrefix("users:");
      const after = await look.get(`${prefix}users:`);
      expect(
        after,
        "await the write of the new generation to Redis: the API answers right after invalidatePrefix",
      ).not.toBe(before);
      expect(after).toEqual(expect.any(String));
    } finally {
      await link.stop();
    }
  });

  it("writes a new generation of the namespace to Redis on a write, even when nobody reads after it", async () => {
    const { a, prefix } = await instances();
    await readThrough(a, "users:id:1", () => "user");
    const before = await look.get(`${prefix}users:`);
    await a.invalidatePrefix("users:");
    // Waited for: this test asks whether the write reaches Redis at all; the one above, when.
    await vi.waitFor(
      async () => expect(await look.get(`${prefix}users:`), "a new generation of users: in Redis").not.toBe(before),
      { timeout: 2_000 },
    );
  });

  it("drops the prefix from the writing instance's own memory at once", async () => {
    const { a } = await instances();
    await readThrough(a, "users:id:1", () => "old");
    await a.invalidatePrefix("users:");
    expect(a.size, "invalidatePrefix empties this instance's own entries too").toBe(0);
  });

  it("does not serve a value that was loading while another instance wrote", async () => {
    const { a, b } = await instances();
    expect(await b.get("users:id:1"), "B misses and starts loading the row as it is now").toBeNull();
    await a.invalidatePrefix("users:");
    b.set("users:id:1", "the row from before A's write", 60_000);
    expect(
      await b.get("users:id:1"),
      "the value must be stamped with the generation B read before loading (this.seen), not the one current at set()",
    ).toBeNull();
  });

  it("does not serve a value that was loading while another instance wrote, even if a later read missed too", async () => {
    const { a, b } = await instances();
    expect(await b.get("users:id:1"), "request 1 on B misses and starts loading the old row").toBeNull();
    await a.invalidatePrefix("users:");
    expect(await b.get("users:id:1"), "request 2 on B misses too, after A's write").toBeNull();
    b.set("users:id:1", "request 1's row, from before A's write", 60_000);
    expect(await b.get("users:id:1"), "of two waiting reads, the oldest generation must win").toBeNull();
  });

  it("stores nothing on a set that no read came before, since nothing says which generation the value is from", async () => {
    const { a } = await instances();
    a.set("users:id:1", "unchecked", 60_000);
    expect(a.size, "nothing stored").toBe(0);
    expect(await a.get("users:id:1")).toBeNull();
  });

  it("forgets an entry that a write made stale as soon as it reads it", async () => {
    const { a, b } = await instances();
    await readThrough(b, "users:id:1", () => "old");
    await a.invalidatePrefix("users:");
    await b.get("users:id:1");
    expect(b.size, "the stale entry is dropped from B's memory, not kept until it is overwritten").toBe(0);
  });

  it("keeps other namespaces when one namespace is written", async () => {
    const { a, b } = await instances();
    await readThrough(b, "users:id:1", () => "user");
    await readThrough(b, "posts:id:1", () => "post");
    await a.invalidatePrefix("users:list:");
    expect(
      await b.get("users:id:1"),
      "the whole users: namespace goes: coarser than the prefix, still correct",
    ).toBeNull();
    expect(await b.get("posts:id:1"), "posts: has its own generation").toBe("post");
  });

  it.each([
    ["a prefix without a colon", "us"],
    ["the empty prefix", ""],
  ])("drops every namespace on the other instances for %s, and keys without one", async (_, prefix) => {
    const { a, b } = await instances();
    await readThrough(b, "users:id:1", () => "user");
    await readThrough(b, "posts:id:1", () => "post");
    await readThrough(b, "usage", () => "a key without a colon");
    await a.invalidatePrefix(prefix);
    expect([await b.get("users:id:1"), await b.get("posts:id:1"), await b.get("usage")]).toEqual([null, null, null]);
  });

  it("drops a single key on the other instances with invalidate(key)", async () => {
    const { a, b } = await instances();
    await readThrough(b, "users:id:1", () => "user");
    await readThrough(a, "users:id:1", () => "user");
    await a.invalidate("users:id:1");
    expect(a.size, "gone from A's memory at once").toBe(0);
    expect(await b.get("users:id:1"), "and missed by B").toBeNull();
  });

  it("gives every generation in Redis an expiry, so Redis does not keep them for ever", async () => {
    const { a, prefix } = await instances();
    await readThrough(a, "users:id:1", () => "user");
    await a.invalidatePrefix("users:");
    for (const key of await look.keys(`${prefix}*`)) {
      expect(await look.pttl(key), `${key} must expire (the new token is SET with PX)`).toBeGreaterThan(0);
    }
  });

  it("keeps its generations under cache:generation: for a day when not told otherwise", async () => {
    const cache = new CoherentCache({ redis: await connect(), outage: quiet() });
    await readThrough(cache, `ns${randomUUID()}:1`, () => "value");
    const ttl = await look.pttl("cache:generation:*");
    expect(ttl, "the global generation, under the default prefix").toBeGreaterThan(24 * 60 * 60_000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(24 * 60 * 60_000);
  });

  it("treats lost generations (a Redis restart, an eviction) as a write: every entry misses", async () => {
    const { a, prefix } = await instances();
    await readThrough(a, "users:id:1", () => "user");
    await look.del(`${prefix}*`, `${prefix}users:`);
    expect(await a.get("users:id:1")).toBeNull();
  });

  it("still expires an entry when its TTL ends", async () => {
    let now = 0;
    const cache = new CoherentCache({
      redis: await connect(),
      prefix: `test:${randomUUID()}:`,
      local: new MemoryCache({ now: () => now }),
      outage: quiet(),
    });
    await readThrough(cache, "users:id:1", () => "user", 1_000);
    now = 999;
    expect(await cache.get("users:id:1")).toBe("user");
    now = 1_000;
    expect(await cache.get("users:id:1")).toBeNull();
  });
});

describeWithRedis("CoherentCache when Redis is unavailable", () => {
  beforeAll(async () => {
    server = await redisServer();
  });

  afterEach(async () => {
    for (const redis of clients.splice(0)) redis.disconnect();
  });

  it("is bypassed while Redis is stopped: reads miss, writes do not throw, one warning is logged", async () => {
    const link = await startProxy(server.port);
    const warn = vi.fn();
    const cache = new CoherentCache({
      redis: await connect(link.url),
      prefix: `test:${randomUUID()}:`,
      outage: new RedisOutage({ warn, info: vi.fn() }),
    });
    await readThrough(cache, "users:id:1", () => "cached before the outage");
    await link.cut();
    const started = Date.now();
    const load = vi.fn(() => "from the database");
    expect(await readThrough(cache, "users:id:1", load), "without Redis nothing vouches for the local entry").toBe(
      "from the database",
    );
    expect(await readThrough(cache, "users:id:1", load), "and nothing is stored meanwhile").toBe("from the database");
    expect(load, "both reads went to the database").toHaveBeenCalledTimes(2);
    await expect(
      cache.invalidatePrefix("users:"),
      "a write must not fail because Redis is away",
    ).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it("serves its entries again once Redis is back, when nothing was written meanwhile", async () => {
    const link = await startProxy(server.port);
    try {
      let now = Date.now();
      const redis = await connect(link.url);
      const cache = new CoherentCache({
        redis,
        prefix: `test:${randomUUID()}:`,
        outage: new RedisOutage({ warn: vi.fn(), info: vi.fn(), now: () => now }),
      });
      const load = vi.fn(() => "user");
      await readThrough(cache, "users:id:1", load);
      await link.cut();
      expect(await cache.get("users:id:1"), "a miss while Redis is away").toBeNull();
      await link.restore();
      await vi.waitFor(() => expect(redis.status).toBe("ready"), { timeout: 5_000 });
      now += 1_000;
      expect(await cache.get("users:id:1"), "the entry is still good: no write happened").toBe("user");
    } finally {
      await link.stop();
    }
  });

  it("answers a read within the command timeout when Redis accepts connections but never replies", async () => {
    const silent = await startSilentServer();
    try {
      const redis = createRedis(silent.url, { timeoutMs: 100 });
      clients.push(redis);
      const cache = new CoherentCache({ redis, outage: quiet() });
      const started = Date.now();
      expect(await cache.get("users:id:1")).toBeNull();
      expect(Date.now() - started).toBeLessThan(600);
    } finally {
      await silent.stop();
    }
  });

  it("announces a write made while its instance could not reach Redis as soon as it can again", async () => {
    const link = await startProxy(server.port);
    try {
      const prefix = `test:${randomUUID()}:`;
      let now = Date.now();
      const writerRedis = await connect(link.url);
      const writer = new CoherentCache({
        redis: writerRedis,
        prefix,
        outage: new RedisOutage({ warn: vi.fn(), info: vi.fn(), now: () => now }),
      });
      const reader = new CoherentCache({ redis: await connect(), prefix, outage: quiet() });
      await readThrough(reader, "users:id:1", () => "before the write");
      await link.cut();
      await writer.invalidatePrefix("users:");
      expect(await reader.get("users:id:1"), "while the writer is cut off, the reader cannot know").toBe(
        "before the write",
      );
      await link.restore();
      await vi.waitFor(() => expect(writerRedis.status).toBe("ready"), { timeout: 5_000 });
      now += 1_000;
      await writer.get("users:id:2");
      expect(
        await reader.get("users:id:1"),
        "the write kept in this.pendingWrites goes out with the writer's next read",
      ).toBeNull();
    } finally {
      await link.stop();
    }
  });
});
