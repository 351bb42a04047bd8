import { describe, expect, it } from "vitest";
import { MemoryCache } from "@/lib/cache";
import { config } from "@/lib/config";
import { requestLimiter } from "@/lib/guard";
import type { UserRepository } from "@/repositories/user-repository";
import { createUserService } from "@/services/user-service";

// A client that sends a new key with every request (a new address, a new id) must not be able
// to grow the server's memory: after 1,000,000 distinct keys, the rate limiter and the cache
// each hold no more than their configured bound. (How much heap that is, is measured by
// `npm run bench`, not here.)

const KEYS = 1_000_000;

describe(`${KEYS.toLocaleString("en")} distinct keys`, () => {
  it("leave the API's rate limiter holding at most RATE_LIMIT_MAX_KEYS windows", () => {
    const limiter = requestLimiter("address");
    let largest = 0;
    for (let i = 0; i < KEYS; i += 1) {
      limiter.hit(`ip:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${i}`);
      if ((i & 0xffff) === 0) largest = Math.max(largest, limiter.size);
    }

    expect(Math.max(largest, limiter.size)).toBeLessThanOrEqual(config().RATE_LIMIT_MAX_KEYS);
    expect(limiter.size).toBe(config().RATE_LIMIT_MAX_KEYS);
  }, 60_000);

  it("leave the user service's cache holding at most CACHE_MAX_ENTRIES users", async () => {
    const now = new Date();
    const everyoneExists: Pick<UserRepository, "findById"> = {
      findById: async (id) => ({
        id,
        name: "Someone",
        email: `user${id}@example.com`,
        role: "user",
        createdAt: now,
        updatedAt: now,
      }),
    };
    const cache = new MemoryCache({ maxEntries: config().CACHE_MAX_ENTRIES });
    const service = createUserService({ users: everyoneExists as UserRepository, cache, ttlMs: config().CACHE_TTL_MS });
    const admin = { id: 1n, email: "admin@example.com", role: "admin" as const };

    let largest = 0;
    for (let i = 1; i <= KEYS; i += 1) {
      await service.getUser(BigInt(i), admin);
      if ((i & 0xffff) === 0) largest = Math.max(largest, cache.size);
    }

    expect(Math.max(largest, cache.size)).toBeLessThanOrEqual(config().CACHE_MAX_ENTRIES);
    expect(cache.size).toBe(config().CACHE_MAX_ENTRIES);
  }, 60_000);
});
