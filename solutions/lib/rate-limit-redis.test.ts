import type { Redis } from "ioredis";
import { afterEach, expect, it, vi } from "vitest";
import { RedisRateLimiter } from "@/lib/rate-limit-redis";
import { createRedis, RedisOutage } from "@/lib/redis";
import { describeWithRedis, inspector, startRedisServer } from "@/testing/redis-server";

// What lesson 10's tests (which run against this file too) leave out, because the lesson's stub
// already has it written: the constructor's checks, and the way back once Redis returns.

const clients: Redis[] = [];

afterEach(() => {
  for (const redis of clients.splice(0)) redis.disconnect();
});

function client(url: string): Redis {
  const redis = createRedis(url, { timeoutMs: 200 });
  clients.push(redis);
  return redis;
}

const ready = (redis: Redis) =>
  redis.status === "ready" ? Promise.resolve() : new Promise((resolve) => redis.once("ready", resolve));

describeWithRedis("RedisRateLimiter", () => {
  it.each([
    ["max", { max: 0, windowMs: 1_000 }],
    ["windowMs", { max: 1, windowMs: 1.5 }],
  ])("refuses a bad %s with a RangeError, as the in-memory limiter does", (name, options) => {
    const redis = new Proxy({} as Redis, { get: () => vi.fn() });
    expect(() => new RedisRateLimiter({ redis, ...options })).toThrow(
      new RegExp(`^${name} must be a positive integer`),
    );
  });

  it("goes back to Redis once it answers again, and says so once", async () => {
    const own = await startRedisServer();
    const redis = client(own.url);
    await ready(redis);
    await own.stop();
    const [warn, info] = [vi.fn(), vi.fn()];
    let now = Date.now();
    const rl = new RedisRateLimiter({
      redis,
      max: 100,
      windowMs: 60_000,
      outage: new RedisOutage({ warn, info, now: () => now }),
    });
    await rl.hit("user:1");
    const back = await startRedisServer({ port: own.port });
    try {
      await ready(redis);
      now += 1_000;
      await rl.hit("user:1");
      await rl.hit("user:1");
      const look = inspector(back.url);
      expect(await look.get("ratelimit:user:1"), "the hits after the outage are counted in Redis").toBe("2");
      look.disconnect();
      expect([warn.mock.calls.length, info.mock.calls.length]).toEqual([1, 1]);
    } finally {
      await back.stop();
    }
  });
});
