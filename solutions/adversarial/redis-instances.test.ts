import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { createUser, params, request, tokenFor } from "@/testing/fixtures";
import { describeWithRedis, type RedisServer, startRedisServer } from "@/testing/redis-server";

// The API's route handlers with REDIS_URL set, loaded twice in this process: two module graphs,
// so two rate limiters, two users caches and two Redis connections, as two instances would have,
// sharing one redis-server and one database. (`npm run test:scale` proves the same with real
// processes over HTTP.)

const LIMIT = 100;
let server: RedisServer;

type Instance = Awaited<ReturnType<typeof loadInstance>>;

async function loadInstance() {
  vi.resetModules();
  const [health, users, byId, redis] = await Promise.all([
    import("@/app/api/health/route"),
    import("@/app/api/users/route"),
    import("@/app/api/users/[id]/route"),
    import("@/lib/redis"),
  ]);
  const connection = redisConnection(redis);
  await new Promise((resolve) =>
    connection.redis.status === "ready" ? resolve(null) : connection.redis.once("ready", resolve),
  );
  return { health: health.GET, listUsers: users.GET, getUser: byId.GET, updateUser: byId.PATCH, connection };
}

function redisConnection(module: typeof import("@/lib/redis")) {
  const connection = module.redisConnection();
  if (!connection) throw new Error("REDIS_URL did not reach the instance's configuration");
  return connection;
}

let a: Instance;
let b: Instance;

describeWithRedis("two API instances sharing one Redis", () => {
  beforeAll(async () => {
    server = await startRedisServer();
    vi.stubEnv("REDIS_URL", server.url);
    vi.stubEnv("RATE_LIMIT_MAX", String(LIMIT));
    // A busy test machine can hold a reply past the 200 ms default, and a timed-out hit is
    // counted in memory by design: these tests are about Redis, so they wait for it.
    vi.stubEnv("REDIS_TIMEOUT_MS", "5000");
    a = await loadInstance();
    b = await loadInstance();
  });

  afterAll(async () => {
    for (const instance of [a, b]) instance?.connection.redis.disconnect();
    vi.unstubAllEnvs();
    await server?.stop();
  });

  const fromAddress = (address: string) => request("GET", "/api/health", { headers: { "x-forwarded-for": address } });

  it(`admit exactly ${LIMIT} of 200 requests from one address split across them`, async () => {
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).health(fromAddress("203.0.113.50"), params({}))),
    );
    expect(responses.filter((r) => r.status === 200)).toHaveLength(LIMIT);
    const refused = responses.filter((r) => r.status === 429);
    expect(refused).toHaveLength(200 - LIMIT);
    expect(Number(refused[0]!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });

  it(`admit exactly ${LIMIT} of 200 requests from one user split across them`, async () => {
    const user = await createUser({ email: `${randomUUID()}@example.com` });
    const token = await tokenFor(user);
    const id = String(user.id);
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        (i % 2 ? a : b).getUser(request("GET", `/api/users/${id}`, { token }), params({ id })),
      ),
    );
    expect(responses.filter((r) => r.status === 200)).toHaveLength(LIMIT);
    expect(responses.filter((r) => r.status === 429)).toHaveLength(200 - LIMIT);
  });

  it("show an update made through one on the next read through the other", async () => {
    const admin = await createUser({ email: `${randomUUID()}@example.com`, role: "admin" });
    const token = await tokenFor(admin);
    const target = await createUser({ email: `${randomUUID()}@example.com`, name: "Before" });
    const id = String(target.id);
    const read = async (instance: Instance) =>
      (await (await instance.getUser(request("GET", `/api/users/${id}`, { token }), params({ id }))).json()).user.name;

    expect(await read(b), "B reads and caches the user").toBe("Before");
    const patched = await a.updateUser(
      request("PATCH", `/api/users/${id}`, { token, body: { name: "After" } }),
      params({ id }),
    );
    expect(patched.status).toBe(200);
    expect(await read(b), "B's next read after A's write").toBe("After");
  });

  it("refuse a demoted admin through the other instance on their very next request", async () => {
    const [boss, demoted] = [
      await createUser({ email: `${randomUUID()}@example.com`, role: "admin" }),
      await createUser({ email: `${randomUUID()}@example.com`, role: "admin" }),
    ];
    const demotedToken = await tokenFor(demoted);
    const list = () => b.listUsers(request("GET", "/api/users", { token: demotedToken }), params({}));
    expect((await list()).status, "B knows (and caches) them as an admin").toBe(200);
    const id = String(demoted.id);
    const demote = await a.updateUser(
      request("PATCH", `/api/users/${id}`, { token: await tokenFor(boss), body: { role: "user" } }),
      params({ id }),
    );
    expect(demote.status).toBe(200);
    expect((await list()).status, "B must read their new role, not its cached one").toBe(403);
  });

  it("keep answering, without a 5xx, once Redis is gone", async () => {
    await server.stop();
    const started = Date.now();
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).health(fromAddress("198.51.100.77"), params({}))),
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(new Set(responses.map((r) => r.status))).toEqual(new Set([200]));
  });
});
