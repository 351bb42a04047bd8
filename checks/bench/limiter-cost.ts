import { RateLimiter } from "../../solutions/lib/rate-limit.ts";
import { RedisRateLimiter } from "../../solutions/lib/rate-limit-redis.ts";
import { createRedis } from "../../solutions/lib/redis.ts";
import { round } from "./stats.ts";

// What moving the rate limiter into Redis costs each request, measured on the limiters alone, in
// this process, one after the other: two API servers differ in more than their limiter (JIT
// state, cache, core placement), and at ~1 ms per request the difference drowns in them.
// - wait: one request's hit, awaited alone (the latency a request gains: one round trip);
// - CPU: this process's CPU time per hit with 50 hits in flight (what an instance pays in
//   throughput; Redis's own work happens in Redis).

export type LimiterCost = {
  hits: number;
  memory: { waitUs: number; cpuUs: number };
  redis: { waitUs: number; cpuUs: number };
};

const KEYS = 1_000;
const IN_FLIGHT = 50;

type Hit = (key: string) => unknown;

async function waitPerHit(hit: Hit, hits: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < hits; i += 1) await hit(`ip:10.0.${i % KEYS}`);
  return ((performance.now() - started) * 1000) / hits;
}

async function cpuPerHit(hit: Hit, hits: number): Promise<number> {
  const before = process.cpuUsage();
  let next = 0;
  const worker = async () => {
    while (next < hits) await hit(`ip:10.1.${next++ % KEYS}`);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / hits;
}

/** Both limiters, `hits` times each way, the in-memory one first; the Redis keys are removed afterwards. */
export async function measureLimiterCost(redisUrl: string, hits = 20_000): Promise<LimiterCost> {
  const limits = { max: 1_000_000_000, windowMs: 60_000 };
  const memory = new RateLimiter(limits);
  const redis = createRedis(redisUrl, { timeoutMs: 1_000 });
  const prefix = `bench-limiter-${process.pid}:`;
  try {
    const limiter = new RedisRateLimiter({ redis, prefix, ...limits });
    const memoryHit: Hit = (key) => memory.hit(key);
    const redisHit: Hit = (key) => limiter.hit(key);
    // Warm both (JIT, the connection, the script's SHA in Redis's cache) before measuring.
    await waitPerHit(memoryHit, 2_000);
    await waitPerHit(redisHit, 2_000);
    return {
      hits,
      memory: {
        waitUs: round(await waitPerHit(memoryHit, hits), 2),
        cpuUs: round(await cpuPerHit(memoryHit, hits), 2),
      },
      redis: { waitUs: round(await waitPerHit(redisHit, hits), 1), cpuUs: round(await cpuPerHit(redisHit, hits), 1) },
    };
  } finally {
    const keys = await redis.keys(`${prefix}*`).catch(() => []);
    if (keys.length > 0) await redis.del(...keys).catch(() => {});
    redis.disconnect();
  }
}
