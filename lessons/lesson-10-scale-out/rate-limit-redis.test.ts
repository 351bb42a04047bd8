import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, expect, it, vi } from "vitest";
import { RateLimiter } from "@/lib/rate-limit";
import { createRedis, RedisOutage } from "@/lib/redis";
import {
  describeWithRedis,
  inspector,
  type RedisServer,
  redisServerForFile,
  startProxy,
  startSilentServer,
} from "@/testing/redis-server";
import { RedisRateLimiter, type RedisRateLimiterOptions } from "./rate-limit-redis";

// These tests run against a real redis-server that they start on a free port and stop at the
// end. Two connections stand for two instances of the API: each has its own RedisRateLimiter,
// and they share one Redis, as servers behind a load balancer would. A test that needs Redis gone
// or hanging takes it through a proxy of its own (startProxy).

const redisServer = redisServerForFile();
let server: RedisServer;
/** A separate connection to look inside Redis, as you would with redis-cli. */
let look: Redis;
const clients: Redis[] = [];

/** A connection like the API's: commands fail after timeoutMs instead of waiting. */
async function connect(url = server.url, timeoutMs = 2_000): Promise<Redis> {
  const redis = createRedis(url, { timeoutMs });
  clients.push(redis);
  if (redis.status !== "ready") await new Promise((resolve) => redis.once("ready", resolve));
  return redis;
}

function outage() {
  const log = { warn: vi.fn(), info: vi.fn() };
  return { outage: new RedisOutage(log), ...log };
}

async function limiter(options: Omit<RedisRateLimiterOptions, "redis"> & { redis?: Redis }) {
  return new RedisRateLimiter({ outage: outage().outage, ...options, redis: options.redis ?? (await connect()) });
}

/** A key no other test uses. */
const key = () => `user:${randomUUID()}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithRedis("RedisRateLimiter", () => {
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

  it("allows a first request and reports the limit, what remains and when the window ends", async () => {
    const rl = await limiter({ max: 3, windowMs: 60_000 });
    const before = Date.now();
    const result = await rl.hit(key());
    expect(result).toMatchObject({ allowed: true, limit: 3, remaining: 2 });
    // How Retry-After is rounded is the subject of the tests below; here, only its range.
    expect(result.retryAfterSeconds, "Retry-After is a whole number of seconds, at most the window").toSatisfy(
      (seconds: number) => Number.isInteger(seconds) && seconds >= 1 && seconds <= 60,
    );
    expect(result.resetAt, "resetAt is now + the ms left in the window (PTTL)").toBeGreaterThanOrEqual(before + 59_000);
    expect(result.resetAt).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it("allows the first max requests in a window and refuses the next", async () => {
    const rl = await limiter({ max: 3, windowMs: 60_000 });
    const k = key();
    const results = [];
    for (let i = 0; i < 4; i += 1) results.push(await rl.hit(k));
    expect(
      results.map((r) => [r.allowed, r.remaining]),
      "[allowed, remaining] for 4 requests with max 3: allowed while count <= max",
    ).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
  });

  it("tells a refused client when to come back: Retry-After in whole seconds, rounded up", async () => {
    // A window of just under 1.5 s: at most 1.499 s are left when the next request arrives, so
    // rounding to the nearest second says 1, as rounding down does; only rounding up says 2.
    const rl = await limiter({ max: 1, windowMs: 1_499 });
    const k = key();
    await rl.hit(k);
    const refused = await rl.hit(k);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterSeconds, "just under 1.5 s left rounds up to 2 s, never down to 1").toBe(2);
  });

  it("never rounds Retry-After down: just under 2 s left is 2 s, not 1", async () => {
    // A window of just under 2 s: unless the two requests are half a second apart, more than
    // 1.5 s are left, so rounding to the nearest second says 2 as rounding up does; rounding down says 1.
    const rl = await limiter({ max: 1, windowMs: 1_999 });
    const k = key();
    await rl.hit(k);
    const refused = await rl.hit(k);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterSeconds, "just under 2 s left is 2 s: rounding down says 1").toBe(2);
  });

  it("admits exactly max of 200 concurrent requests sent through two instances", async () => {
    const [a, b] = [await limiter({ max: 100, windowMs: 60_000 }), await limiter({ max: 100, windowMs: 60_000 })];
    const k = key();
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).hit(k)));
    expect(
      results.filter((r) => r.allowed).length,
      "two instances reading the count and then writing it back both see 99 and both admit: count with one atomic step",
    ).toBe(100);
    expect(await look.get(`ratelimit:${k}`), "every request is counted in Redis").toBe("200");
  });

  it("counts each key on its own", async () => {
    const rl = await limiter({ max: 1, windowMs: 60_000 });
    const [first, second] = [key(), key()];
    await rl.hit(first);
    expect((await rl.hit(second)).allowed, "another key has its own window").toBe(true);
    expect((await rl.hit(first)).allowed).toBe(false);
  });

  it("keeps each window under the prefix, in one counter that expires when the window ends", async () => {
    const rl = await limiter({ max: 5, windowMs: 30_000, prefix: "rl:lesson:" });
    const k = key();
    await rl.hit(k);
    expect(await look.get(`rl:lesson:${k}`), "the counter is stored at prefix + key").toBe("1");
    const ttl = await look.pttl(`rl:lesson:${k}`);
    expect(ttl, "the counter must expire (PTTL -1 means never: Redis would keep it for ever)").toBeGreaterThan(29_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });

  it("lets a client that keeps knocking in again when its window ends: later hits do not push the end away", async () => {
    const rl = await limiter({ max: 1, windowMs: 1_000 });
    const k = key();
    const started = Date.now();
    expect((await rl.hit(k)).allowed).toBe(true);
    for (let i = 0; i < 4; i += 1) {
      await sleep(100);
      await rl.hit(k);
    }
    const elapsed = Date.now() - started;
    expect(await look.pttl(`ratelimit:${k}`), "the expiry is set by the window's first hit only").toBeLessThanOrEqual(
      1_000 - elapsed + 50,
    );
    await sleep(Math.max(0, started + 1_050 - Date.now()));
    expect((await rl.hit(k)).allowed, "1 s after the first hit a new window has started").toBe(true);
  });

  it("leaves nothing in Redis once a window has ended", async () => {
    const rl = await limiter({ max: 1, windowMs: 150 });
    const k = key();
    await rl.hit(k);
    await sleep(250);
    expect(await look.exists(`ratelimit:${k}`), "an ended window must be gone from Redis, not kept").toBe(0);
  });

  it("gives an expiry to a counter found without one, as a crash between INCR and PEXPIRE would leave it", async () => {
    const rl = await limiter({ max: 1, windowMs: 10_000 });
    const k = key();
    await look.set(`ratelimit:${k}`, "500");
    expect((await rl.hit(k)).allowed).toBe(false);
    const ttl = await look.pttl(`ratelimit:${k}`);
    expect(ttl, "a counter without an expiry would refuse this key for ever").toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10_000);
  });

  it("tells a client refused late in a window what is left of it, not a whole window", async () => {
    const rl = await limiter({ max: 1, windowMs: 60_000 });
    const k = key();
    // A window another instance started 30 s ago: its counter has 30 s left to live.
    await look.set(`ratelimit:${k}`, "1", "PX", 30_000);
    const refused = await rl.hit(k);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterSeconds, "Retry-After is the counter's PTTL in seconds, not the window's length").toBe(30);
    expect(refused.resetAt, "resetAt is when the counter expires: now + its PTTL").toBeLessThanOrEqual(
      Date.now() + 30_000,
    );
  });
});

describeWithRedis("RedisRateLimiter when Redis is unavailable", () => {
  beforeAll(async () => {
    server = await redisServer();
  });

  afterEach(async () => {
    for (const redis of clients.splice(0)) redis.disconnect();
  });

  it("keeps answering while Redis is stopped, counting in this instance's memory: the limit still holds", async () => {
    const link = await startProxy(server.port);
    const redis = await connect(link.url);
    await link.cut();
    const { outage: tracker, warn } = outage();
    const rl = new RedisRateLimiter({ redis, max: 3, windowMs: 60_000, outage: tracker });
    const started = Date.now();
    const results = [];
    for (let i = 0; i < 20; i += 1) results.push(await rl.hit("user:1"));
    expect(Date.now() - started, "no request may wait for a Redis that is gone").toBeLessThan(2_000);
    expect(results.filter((r) => r.allowed).length, "fail open to the in-memory limiter, not to no limit at all").toBe(
      3,
    );
    expect(warn, "one warning for the whole outage (this.outage.run logs it)").toHaveBeenCalledTimes(1);
  });

  it("counts in the fallback limiter it is given", async () => {
    const link = await startProxy(server.port);
    const redis = await connect(link.url);
    await link.cut();
    const fallback = new RateLimiter({ max: 1, windowMs: 60_000 });
    const rl = new RedisRateLimiter({ redis, max: 1, windowMs: 60_000, fallback, outage: outage().outage });
    await rl.hit("user:1");
    expect(fallback.size, "the request is counted in options.fallback").toBe(1);
  });

  it("answers within the command timeout when Redis accepts connections but never replies", async () => {
    const silent = await startSilentServer();
    try {
      const redis = createRedis(silent.url, { timeoutMs: 100 });
      clients.push(redis);
      const rl = new RedisRateLimiter({ redis, max: 2, windowMs: 60_000, outage: outage().outage });
      const started = Date.now();
      const results = await Promise.all(Array.from({ length: 20 }, () => rl.hit("user:1")));
      expect(Date.now() - started).toBeLessThan(1_500);
      expect(results.filter((r) => r.allowed)).toHaveLength(2);
    } finally {
      await silent.stop();
    }
  });

  it("waits at most one command timeout when Redis hangs, then stops asking it for a while", async () => {
    const link = await startProxy(server.port);
    try {
      const redis = await connect(link.url, 100);
      const { outage: tracker, warn } = outage();
      const rl = new RedisRateLimiter({ redis, max: 2, windowMs: 60_000, outage: tracker });
      await rl.hit("user:1");
      link.hang();
      let started = Date.now();
      expect((await rl.hit("user:1")).allowed).toBe(true);
      expect(Date.now() - started, "the first request waits for the timeout, no longer").toBeLessThan(600);
      started = Date.now();
      await Promise.all(Array.from({ length: 20 }, () => rl.hit("user:1")));
      expect(Date.now() - started, "the next ones do not wait at all").toBeLessThan(100);
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      await link.stop();
    }
  });
});
