import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, expect, it, vi } from "vitest";
import { RateLimiter } from "@/lib/rate-limit";
import { RedisRateLimiter } from "@/lib/rate-limit-redis";
import { createRedis, RedisOutage } from "@/lib/redis";
import { describeWithRedis, inspector, type RedisServer, startRedisServer, startSilentServer } from "@/testing/redis-server";

// The Redis limiter against a real redis-server of its own. Two clients stand for two API
// instances: each has its own connection and its own RedisRateLimiter, and they share the server.

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

async function limiter(options: { max: number; windowMs: number; redis?: Redis; outage?: RedisOutage }) {
  return new RedisRateLimiter({ redis: await ready(options.redis ?? client()), outage: quietOutage(), ...options });
}

const key = () => `test:${randomUUID()}`;

describeWithRedis("RedisRateLimiter", () => {
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

  it("allows a first request and reports the limit, what remains and when the window ends", async () => {
    const rl = await limiter({ max: 3, windowMs: 60_000 });
    const before = Date.now();
    const result = await rl.hit(key());
    expect(result).toMatchObject({ allowed: true, limit: 3, remaining: 2, retryAfterSeconds: 60 });
    expect(result.resetAt).toBeGreaterThanOrEqual(before + 59_000);
    expect(result.resetAt).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it("allows the first max requests in a window and refuses the next, with Retry-After", async () => {
    const rl = await limiter({ max: 3, windowMs: 60_000 });
    const k = key();
    const results = [];
    for (let i = 0; i < 4; i += 1) results.push(await rl.hit(k));
    expect(results.map((r) => [r.allowed, r.remaining])).toEqual([[true, 2], [true, 1], [true, 0], [false, 0]]);
    expect(results[3]!.retryAfterSeconds).toBe(60);
  });

  it("admits exactly max of 200 concurrent requests sent through two instances", async () => {
    const [a, b] = [await limiter({ max: 100, windowMs: 60_000 }), await limiter({ max: 100, windowMs: 60_000 })];
    const k = key();
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).hit(k)));
    expect(results.filter((r) => r.allowed)).toHaveLength(100);
    expect(await look.get(`ratelimit:${k}`)).toBe("200");
  });

  it("counts each key on its own", async () => {
    const rl = await limiter({ max: 1, windowMs: 60_000 });
    const [first, second] = [key(), key()];
    await rl.hit(first);
    expect((await rl.hit(second)).allowed).toBe(true);
    expect((await rl.hit(first)).allowed).toBe(false);
  });

  it("stores each window under the prefix with an expiry of at most windowMs", async () => {
    const rl = await limiter({ max: 5, windowMs: 30_000 });
    const k = key();
    await rl.hit(k);
    const ttl = await look.pttl(`ratelimit:${k}`);
    expect(ttl).toBeGreaterThan(29_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });

  it("keeps the window's end where it started: later hits do not extend it", async () => {
    const rl = await limiter({ max: 5, windowMs: 2_000 });
    const k = key();
    await rl.hit(k);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await rl.hit(k);
    expect(await look.pttl(`ratelimit:${k}`)).toBeLessThanOrEqual(1_700);
  });

  it("starts a new window once the old one has expired, and Redis forgets the old one", async () => {
    const rl = await limiter({ max: 1, windowMs: 150 });
    const k = key();
    await rl.hit(k);
    expect((await rl.hit(k)).allowed).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await look.exists(`ratelimit:${k}`), "an expired window is gone from Redis").toBe(0);
    expect((await rl.hit(k)).allowed).toBe(true);
  });

  it("gives an expiry to a counter found without one, so it cannot block its key for ever", async () => {
    const rl = await limiter({ max: 1, windowMs: 10_000 });
    const k = key();
    await look.set(`ratelimit:${k}`, "500");
    expect((await rl.hit(k)).allowed).toBe(false);
    const ttl = await look.pttl(`ratelimit:${k}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10_000);
  });

  it("uses the prefix it is given", async () => {
    const rl = new RedisRateLimiter({ redis: await ready(client()), max: 1, windowMs: 60_000, prefix: "rl:test:", outage: quietOutage() });
    const k = key();
    await rl.hit(k);
    expect(await look.get(`rl:test:${k}`)).toBe("1");
  });

  it.each([
    ["max", { max: 0, windowMs: 1_000 }],
    ["windowMs", { max: 1, windowMs: 1.5 }],
  ])("refuses a bad %s with a RangeError, as the in-memory limiter does", async (name, options) => {
    const redis = client();
    expect(() => new RedisRateLimiter({ redis, ...options })).toThrow(new RegExp(`^${name} must be a positive integer`));
  });
});

describeWithRedis("RedisRateLimiter when Redis is unavailable", () => {
  afterEach(async () => {
    for (const redis of clients.splice(0)) redis.disconnect();
  });

  it("counts in memory, per instance, while Redis is stopped, and logs one warning for many requests", async () => {
    const own = await startRedisServer();
    const redis = await ready(client(own.url));
    await own.stop();
    const warn = vi.fn();
    const rl = new RedisRateLimiter({ redis, max: 3, windowMs: 60_000, outage: new RedisOutage({ warn, info: vi.fn() }) });
    const started = Date.now();
    const results = [];
    for (let i = 0; i < 50; i += 1) results.push(await rl.hit("user:1"));
    expect(Date.now() - started, "no request waits for a Redis that is gone").toBeLessThan(2_000);
    expect(results.filter((r) => r.allowed), "the limit still holds, in this instance's memory").toHaveLength(3);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatchObject({ msg: expect.stringMatching(/^Redis is unavailable/) });
  });

  it("answers within the command timeout when Redis accepts connections but never replies", async () => {
    const silent = await startSilentServer();
    try {
      const warn = vi.fn();
      const rl = new RedisRateLimiter({ redis: client(silent.url, 100), max: 2, windowMs: 60_000, outage: new RedisOutage({ warn, info: vi.fn() }) });
      const started = Date.now();
      const results = await Promise.all(Array.from({ length: 20 }, () => rl.hit("user:1")));
      expect(Date.now() - started).toBeLessThan(1_500);
      expect(results.filter((r) => r.allowed)).toHaveLength(2);
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      await silent.stop();
    }
  });

  it("waits at most the command timeout once when Redis hangs mid-connection, then skips it for a while", async () => {
    const own = await startRedisServer();
    try {
      const redis = await ready(client(own.url, 100));
      const warn = vi.fn();
      const rl = new RedisRateLimiter({ redis, max: 2, windowMs: 60_000, outage: new RedisOutage({ warn, info: vi.fn() }) });
      await rl.hit("user:1");
      own.pause();
      let started = Date.now();
      expect((await rl.hit("user:1")).allowed, "counted in memory: 1 of 2").toBe(true);
      expect(Date.now() - started, "the first request waits for the timeout, no longer").toBeLessThan(600);
      started = Date.now();
      const next = await Promise.all(Array.from({ length: 20 }, () => rl.hit("user:1")));
      expect(Date.now() - started, "the next ones do not wait at all").toBeLessThan(50);
      expect(next.filter((r) => r.allowed)).toHaveLength(1);
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      await own.stop();
    }
  });

  it("uses the fallback limiter it is given", async () => {
    const own = await startRedisServer();
    const redis = await ready(client(own.url));
    await own.stop();
    const fallback = new RateLimiter({ max: 1, windowMs: 60_000 });
    const rl = new RedisRateLimiter({ redis, max: 1, windowMs: 60_000, fallback, outage: quietOutage() });
    await rl.hit("user:1");
    expect(fallback.size).toBe(1);
  });

  it("goes back to Redis once it answers again, and says so once", async () => {
    const own = await startRedisServer();
    const redis = await ready(client(own.url));
    await own.stop();
    const [warn, info] = [vi.fn(), vi.fn()];
    let now = Date.now();
    const outage = new RedisOutage({ warn, info, retryAfterMs: 1_000, now: () => now });
    const rl = new RedisRateLimiter({ redis, max: 100, windowMs: 60_000, outage });
    await rl.hit("user:1");
    const back = await startRedisServer({ port: own.port });
    try {
      await ready(redis);
      now += 1_000;
      await rl.hit("user:1");
      await rl.hit("user:1");
      const direct = inspector(back.url);
      expect(await direct.get("ratelimit:user:1"), "the hits after the outage are counted in Redis").toBe("2");
      direct.disconnect();
      expect([warn.mock.calls.length, info.mock.calls.length]).toEqual([1, 1]);
    } finally {
      redis.disconnect();
      await back.stop();
    }
  });
});
