import { randomBytes } from "node:crypto";
import autocannon, { type Result } from "autocannon";
import { signToken } from "../../solutions/lib/auth.ts";
import { createPostgresClient } from "../../solutions/lib/prisma.ts";
import { applyPostgresMigrations } from "../../prisma/migrate.ts";
import { buildIfStale, lockDistDir, startServer, type RunningServer } from "../../solutions/e2e/server.ts";
import {
  DEFAULT_SERVICES,
  ensureDatabase,
  flushRedisDb,
  missingServices,
  postgresUrl,
  redisUrl,
  servicesStatus,
  startServices,
  stopPostgres,
  stopRedis,
} from "../../solutions/scripts/local-services.ts";
import {
  type ApiOptions,
  type ApiRow,
  counts,
  DIST_DIR,
  type HalfLoad,
  type Measured,
  halfLoadThenStop,
  profileSettings,
  type Scenario,
  summarize,
  userScenarios,
} from "./api.ts";
import { type LimiterCost, measureLimiterCost } from "./limiter-cost.ts";
import { cpuMs, descendants } from "./process-cpu.ts";
import { median, round } from "./stats.ts";

// The users API scaled out: the same build on PostgreSQL and Redis (started like
// `npm run services start`, and stopped again if this started them), with the embedded section's
// scenarios, plus what scaling out costs and gives: the Redis rate limiter's cost per request
// (limiter-cost.ts) and one instance against two.

const USERS = 1_000;
const DATABASE = "bench_scale";
const REDIS_DB = 2;

export type ScaleReport =
  | { skipped: string }
  | {
      build: "built" | "reused";
      rows: ApiRow[];
      /** The rate limiter alone, in memory against in Redis (limiter-cost.ts). */
      limiter: LimiterCost;
      /** Cached GET /api/users/[id]: one instance at full load, against two sharing the connections. */
      instances: { oneRequestsPerSecond: number; twoRequestsPerSecond: number; ratio: number; unexpected: number };
      halfLoad: HalfLoad;
    };

async function seed(url: string): Promise<{ adminId: bigint; ids: bigint[] }> {
  const db = createPostgresClient(url, 1);
  try {
    await db.user.create({ data: { name: "Bench Admin", email: "admin@example.com", role: "admin" } });
    await db.user.createMany({
      data: Array.from({ length: USERS - 1 }, (_, i) => ({
        name: `User ${i + 1}`,
        email: `user${i + 1}@example.com`,
        role: "user",
      })),
    });
    const rows = await db.user.findMany({ select: { id: true, role: true }, orderBy: { id: "asc" } });
    return { adminId: rows.find((row) => row.role === "admin")!.id, ids: rows.map((row) => row.id) };
  } finally {
    await db.$disconnect();
  }
}

export async function benchmarkScale(options: ApiOptions): Promise<ScaleReport> {
  const { log } = options;
  const missing = missingServices();
  if (missing.length > 0) return { skipped: `missing ${missing.map((m) => `${m.name} (${m.install})`).join("; ")}` };

  const before = await servicesStatus();
  const servers: Record<string, RunningServer> = {};
  const stopAll = () => Promise.all(Object.values(servers).map((server) => server.stop()));
  let release: (() => void) | undefined;
  try {
    log("starting PostgreSQL and Redis unless they run…");
    try {
      await startServices(DEFAULT_SERVICES, log);
    } catch (error) {
      return { skipped: `the services did not start: ${(error as Error).message}` };
    }
    const port = DEFAULT_SERVICES.postgresPort;
    await ensureDatabase(port, DATABASE, { recreate: true });
    const databaseUrl = postgresUrl(port, DATABASE);
    await applyPostgresMigrations(databaseUrl);
    await flushRedisDb(DEFAULT_SERVICES.redisPort, REDIS_DB);
    const { adminId, ids } = await seed(databaseUrl);

    release = await lockDistDir(DIST_DIR, 300_000);
    log(`building the app into solutions/${DIST_DIR} if its sources changed…`);
    const build = await buildIfStale(DIST_DIR);
    const secret = randomBytes(32).toString("base64url");
    const token = await signToken({ id: adminId }, { secret });
    const someone = ids[ids.length >> 1]!;

    const common = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl(DEFAULT_SERVICES.redisPort, REDIS_DB),
      NEXT_DIST_DIR: DIST_DIR,
      AUTH_SECRET: secret,
      LOG_LEVEL: "warn",
      RATE_LIMIT_MAX: "1000000000",
    };
    const settings: Record<string, Record<string, string>> = {
      main: common,
      second: common,
      // As in the embedded section (api.ts): the caller hits, each user read misses.
      uncached: { ...common, CACHE_MAX_ENTRIES: "2" },
    };
    const urls: Record<string, string> = {};
    const pids: Record<string, number[]> = {};
    for (const [name, env] of Object.entries(settings)) {
      const started = new Set(descendants());
      const server = await startServer({ ...env, ...profileSettings(options.profile) });
      servers[name] = server;
      urls[name] = server.url;
      pids[name] = descendants().filter((pid) => !started.has(pid));
      log(`${name} server ready at ${server.url} (${pids[name]!.length} process(es))`);
    }

    const shared = userScenarios(token, someone, ids);
    const scenarios: Scenario[] = [
      shared.health,
      shared.getCached,
      shared.getUncached,
      shared.listCached,
      shared.create,
    ];

    const run = (
      scenario: Scenario,
      duration: number,
      overallRate?: number,
      url = urls[scenario.server]!,
      connections = options.connections,
    ) =>
      autocannon({
        url,
        connections,
        duration,
        requests: [scenario.request],
        timeout: 10,
        ...(overallRate && { overallRate }),
      });

    for (const scenario of scenarios) {
      log(`warming up ${scenario.name} on PostgreSQL + Redis (${options.warmupSeconds} s)…`);
      await run(scenario, options.warmupSeconds);
    }
    const results = new Map<string, Measured[]>(scenarios.map((s) => [s.key, []]));
    const one: Result[] = [];
    const two: Result[][] = [];
    const cachedScenario = scenarios.find((s) => s.key === "getCached")!;
    for (let round_ = 1; round_ <= options.rounds; round_ += 1) {
      for (const scenario of scenarios) {
        const cpuBefore = cpuMs(pids[scenario.server]!);
        const result = await run(scenario, options.durationSeconds);
        const cpuAfter = cpuMs(pids[scenario.server]!);
        const c = counts(scenario, result);
        const cpuMsPerRequest =
          cpuBefore === null || cpuAfter === null || c.total === 0 ? null : (cpuAfter - cpuBefore) / c.total;
        results.get(scenario.key)!.push({ result, cpuMsPerRequest });
        if (scenario.key === "getCached") one.push(result);
        log(
          `round ${round_}/${options.rounds} · ${scenario.name}: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms${c.unexpected ? `, ${c.unexpected} unexpected` : ""}`,
        );
      }
      // Two instances share the same number of connections as one had, as behind a load balancer.
      const half = Math.max(1, Math.floor(options.connections / 2));
      const pair = await Promise.all([
        run(cachedScenario, options.durationSeconds, undefined, urls.main, half),
        run(cachedScenario, options.durationSeconds, undefined, urls.second, half),
      ]);
      two.push(pair);
      log(
        `round ${round_}/${options.rounds} · cached GET over two instances: ${Math.round(pair[0]!.requests.average + pair[1]!.requests.average)} req/s in all`,
      );
    }
    const baselines = results.get("health")!;
    const rows = scenarios.map((scenario) => summarize(scenario, results.get(scenario.key)!, baselines));

    log("measuring the rate limiter alone, in memory and in Redis…");
    const limiter = await measureLimiterCost(common.REDIS_URL);
    const oneRps = median(one.map((r) => r.requests.average));
    const twoRps = median(two.map(([a, b]) => a!.requests.average + b!.requests.average));
    const instances = {
      oneRequestsPerSecond: Math.round(oneRps),
      twoRequestsPerSecond: Math.round(twoRps),
      ratio: round(twoRps / oneRps, 2),
      unexpected: two.flat().reduce((sum, r) => sum + counts(cachedScenario, r).unexpected, 0),
    };

    const halfLoad = await halfLoadThenStop({ scenarios, servers, pids, options });
    return { build, rows, limiter, instances, halfLoad };
  } finally {
    await stopAll();
    release?.();
    await Promise.allSettled([
      before.postgres ? null : stopPostgres(DEFAULT_SERVICES),
      before.redis ? null : stopRedis(DEFAULT_SERVICES),
    ]);
  }
}
