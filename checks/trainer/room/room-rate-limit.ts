// How often one address may do something (join the room): a bucket of `burst` that refills at
// `perMinute`. Bounded: past `maxAddresses`, the address heard from longest ago is forgotten.

export interface RateLimit {
  /** 0 when allowed now (and counted), else how long to wait (ms). */
  take(address: string): number;
}

interface RateLimitOptions {
  burst: number;
  perMinute: number;
  maxAddresses?: number;
  now?: () => number;
}

export function createRateLimit({
  burst,
  perMinute,
  maxAddresses = 10_000,
  now = Date.now,
}: RateLimitOptions): RateLimit {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const refillPerMs = perMinute / 60_000;
  return {
    take(address) {
      const at = now();
      const bucket = buckets.get(address) ?? { tokens: burst, at };
      bucket.tokens = Math.min(burst, bucket.tokens + (at - bucket.at) * refillPerMs);
      bucket.at = at;
      // Map order is the order of last use: re-insert, then drop the oldest past the bound.
      buckets.delete(address);
      buckets.set(address, bucket);
      if (buckets.size > maxAddresses) buckets.delete(buckets.keys().next().value!);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.ceil((1 - bucket.tokens) / refillPerMs);
    },
  };
}
