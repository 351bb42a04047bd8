import { MemoryCache } from "../../solutions/lib/cache.ts";
import { loadConfig } from "../../solutions/lib/config.ts";
import { RateLimiter } from "../../solutions/lib/rate-limit.ts";

// Run by memory.ts as `node --expose-gc --import tsx checks/bench/memory-probe.ts`: pushes
// 1,000,000 distinct keys through the rate limiter and the cache at their default bounds and
// prints the heap after 100,000 and after 1,000,000 keys as JSON. A bounded structure stops
// growing once it is full, so the second figure should equal the first.

const KEYS = 1_000_000;
const EARLY = 100_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");

function heapMb(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

type Probe = { name: string; bound: number | null; size: () => number; add: (i: number) => void };

function measure({ name, bound, size, add }: Probe) {
  const before = heapMb();
  const started = performance.now();
  let atEarly = 0;
  for (let i = 0; i < KEYS; i += 1) {
    add(i);
    if (i + 1 === EARLY) atEarly = heapMb();
  }
  const elapsed = performance.now() - started;
  const after = heapMb();
  return {
    name,
    bound,
    sizeAfter: size(),
    heapGrowthAt100kMb: atEarly - before,
    heapGrowthAt1mMb: after - before,
    nsPerKey: (elapsed * 1e6) / KEYS,
  };
}

const config = loadConfig({});
const user = (i: number) => ({
  id: BigInt(i),
  name: `User ${i}`,
  email: `user${i}@example.com`,
  role: "user",
  createdAt: new Date(0),
  updatedAt: new Date(0),
});

const limiter = new RateLimiter({
  max: config.RATE_LIMIT_MAX,
  windowMs: config.RATE_LIMIT_WINDOW_MS,
  maxKeys: config.RATE_LIMIT_MAX_KEYS,
});
const cache = new MemoryCache({ maxEntries: config.CACHE_MAX_ENTRIES });
let unbounded: Map<string, unknown> | undefined = new Map();

const results = [
  measure({
    name: "rate limiter",
    bound: config.RATE_LIMIT_MAX_KEYS,
    size: () => limiter.size,
    add: (i) => void limiter.hit(`ip:${i}`),
  }),
  measure({
    name: "cache",
    bound: config.CACHE_MAX_ENTRIES,
    size: () => cache.size,
    add: (i) => cache.set(`users:id:${i}`, user(i), config.CACHE_TTL_MS),
  }),
  // For scale: the same users in a Map with no bound, which is what a cache without one becomes.
  measure({
    name: "unbounded Map (for comparison)",
    bound: null,
    size: () => unbounded!.size,
    add: (i) => void unbounded!.set(`users:id:${i}`, user(i)),
  }),
];
unbounded = undefined;
process.stdout.write(`${JSON.stringify({ keys: KEYS, results })}\n`);
