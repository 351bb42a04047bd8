import type { Result } from "autocannon";
import { createPostgresClient } from "../../solutions/lib/prisma.ts";
import { applyPostgresMigrations } from "../../prisma/migrate.ts";
import { buildIfStale, lockDistDir, type RunningServer } from "../../solutions/e2e/server.ts";
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
  closedLoop,
  counts,
  DIST_DIR,
  type HalfLoad,
  halfLoadThenStop,
  type Measured,
  measureOnce,
  roundLine,
  rowsAgainstBaseline,
  type Scenario,
  createUsers,
  signIn,
  startServers,
  stopServers,
  type Users,
  userScenarios,
  warmUp,
} from "./api.ts";
import { type LimiterCost, measureLimiterCost } from "./limiter-cost.ts";
import { median, round } from "./stats.ts";

// The users API scaled out: the same build on PostgreSQL and Redis (started like
// `npm run services start`, and stopped again if this started them), with the embedded section's
// scenarios, plus what scaling out costs and gives: the Redis rate limiter's cost per request
// (limiter-cost.ts) and one instance against two.

const DATABASE = "bench_scale";
const REDIS_DB = 2;
const REDIS_URL = redisUrl(DEFAULT_SERVICES.redisPort, REDIS_DB);

/** Cached GET /api/users/[id]: one instance at full load, against two sharing the connections. */
type Instances = { oneRequestsPerSecond: number; twoRequestsPerSecond: number; ratio: number; unexpected: number };

export type ScaleReport =
  | { skipped: string }
  | {
      build: "built" | "reused";
      rows: ApiRow[];
      /** The rate limiter alone, in memory against in Redis (limiter-cost.ts). */
      limiter: LimiterCost;
      instances: Instances;
      halfLoad: HalfLoad;
    };

export async function benchmarkScale(options: ApiOptions): Promise<ScaleReport> {
  const { log } = options;
  const missing = missingServices();
  if (missing.length > 0) return { skipped: `missing ${missing.map((m) => `${m.name} (${m.install})`).join("; ")}` };

  const before = await servicesStatus();
  const servers: Record<string, RunningServer> = {};
  let release: (() => void) | undefined;
  try {
    log("starting PostgreSQL and Redis unless they run…");
    try {
      await startServices(DEFAULT_SERVICES, log);
    } catch (error) {
      return { skipped: `the services did not start: ${(error as Error).message}` };
    }
    const { databaseUrl, users } = await freshData();

    release = await lockDistDir(DIST_DIR, 300_000);
    log(`building the app into solutions/${DIST_DIR} if its sources changed…`);
    const build = await buildIfStale(DIST_DIR);
    return { build, ...(await measureScale(databaseUrl, users, servers, options)) };
  } finally {
    await stopServers(servers);
    release?.();
    await Promise.allSettled([
      before.postgres ? null : stopPostgres(DEFAULT_SERVICES),
      before.redis ? null : stopRedis(DEFAULT_SERVICES),
    ]);
  }
}

/** The section's database, created afresh, migrated and filled with users, and its Redis database emptied. */
async function freshData(): Promise<{ databaseUrl: string; users: Users }> {
  const port = DEFAULT_SERVICES.postgresPort;
  await ensureDatabase(port, DATABASE, { recreate: true });
  const databaseUrl = postgresUrl(port, DATABASE);
  await applyPostgresMigrations(databaseUrl);
  await flushRedisDb(DEFAULT_SERVICES.redisPort, REDIS_DB);
  const db = createPostgresClient(databaseUrl, 1);
  try {
    return { databaseUrl, users: await createUsers(db) };
  } finally {
    await db.$disconnect();
  }
}

/** Everything the section measures, on servers it starts into `servers` (the caller stops them). */
async function measureScale(
  databaseUrl: string,
  users: Users,
  servers: Record<string, RunningServer>,
  options: ApiOptions,
): Promise<{ rows: ApiRow[]; limiter: LimiterCost; instances: Instances; halfLoad: HalfLoad }> {
  const { secret, token, someone } = await signIn(users);
  const settings = scaleSettings(databaseUrl, secret);
  const { urls, pids } = await startServers(settings, servers, options);
  const shared = userScenarios(token, someone, users.ids);
  const scenarios: Scenario[] = [shared.health, shared.getCached, shared.getUncached, shared.listCached, shared.create];
  const { rows, instances } = await measureInTurn(scenarios, urls, pids, options);

  options.log("measuring the rate limiter alone, in memory and in Redis…");
  const limiter = await measureLimiterCost(REDIS_URL);
  const halfLoad = await halfLoadThenStop({ scenarios, servers, pids, options });
  return { rows, limiter, instances, halfLoad };
}

/** Main and a second instance, alike, and one whose cache misses each user read. */
function scaleSettings(databaseUrl: string, secret: string): Record<string, Record<string, string>> {
  const common = {
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    NEXT_DIST_DIR: DIST_DIR,
    AUTH_SECRET: secret,
    LOG_LEVEL: "warn",
    RATE_LIMIT_MAX: "1000000000",
  };
  return {
    main: common,
    second: common,
    // As in the embedded section (api.ts): the caller hits, each user read misses.
    uncached: { ...common, CACHE_MAX_ENTRIES: "2" },
  };
}

/**
 * The scenarios in turn, round after round, as in the embedded section; each round ends with the
 * cached read over both instances at once.
 */
async function measureInTurn(
  scenarios: readonly Scenario[],
  urls: Record<string, string>,
  pids: Record<string, number[]>,
  options: ApiOptions,
): Promise<{ rows: ApiRow[]; instances: Instances }> {
  await warmUp(scenarios, urls, options, " on PostgreSQL + Redis");
  const results = new Map<string, Measured[]>(scenarios.map((s) => [s.key, []]));
  const one: Result[] = [];
  const two: Result[][] = [];
  const cached = scenarios.find((s) => s.key === "getCached")!;
  for (let round = 1; round <= options.rounds; round += 1) {
    for (const scenario of scenarios) {
      const measured = await measureOnce(scenario, urls[scenario.server]!, pids[scenario.server]!, options);
      const { result, cpuMsPerRequest, unexpected } = measured;
      results.get(scenario.key)!.push({ result, cpuMsPerRequest });
      if (scenario.key === "getCached") one.push(result);
      const notes = [unexpected !== 0 && `${unexpected} unexpected`];
      options.log(roundLine(round, options.rounds, scenario.name, result, notes));
    }
    const pair = await overTwoInstances(cached, urls, options);
    two.push(pair);
    const inAll = Math.round(pair[0]!.requests.average + pair[1]!.requests.average);
    options.log(`round ${round}/${options.rounds} · cached GET over two instances: ${inAll} req/s in all`);
  }
  return { rows: rowsAgainstBaseline(scenarios, results), instances: instanceFigures(cached, one, two) };
}

/** The cached read on main and on the second instance at once. */
function overTwoInstances(
  cached: Scenario,
  urls: Record<string, string>,
  { connections, durationSeconds }: Pick<ApiOptions, "connections" | "durationSeconds">,
): Promise<Result[]> {
  // Two instances share the same number of connections as one had, as behind a load balancer.
  const half = Math.max(1, Math.floor(connections / 2));
  return Promise.all([
    closedLoop(cached, urls.main!, half, durationSeconds),
    closedLoop(cached, urls.second!, half, durationSeconds),
  ]);
}

/** Medians over the rounds: the cached read's throughput on one instance, and summed over two. */
function instanceFigures(cached: Scenario, one: readonly Result[], two: readonly Result[][]): Instances {
  const oneRps = median(one.map((r) => r.requests.average));
  const twoRps = median(two.map(([a, b]) => a!.requests.average + b!.requests.average));
  return {
    oneRequestsPerSecond: Math.round(oneRps),
    twoRequestsPerSecond: Math.round(twoRps),
    ratio: round(twoRps / oneRps, 2),
    unexpected: two.flat().reduce((sum, r) => sum + counts(cached, r).unexpected, 0),
  };
}
