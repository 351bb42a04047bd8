import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import autocannon, { type RequestSpec, type Result } from "autocannon";
import { signToken } from "../../solutions/lib/auth.ts";
import { createPrismaClient } from "../../solutions/lib/prisma.ts";
import { applyMigrations } from "../../prisma/migrate.ts";
import { buildIfStale, lockDistDir, ROOT, startServer, type RunningServer } from "../../solutions/e2e/server.ts";
import {
  constantRate,
  type Placement,
  pinning,
  pinServers,
  saturatedThroughput,
  startBareServer,
} from "./pinned-load.ts";
import { explainStalls, type StallReport, stallFiles, type Window } from "./stalls.ts";
import { cpuMs, descendants } from "./process-cpu.ts";
import { median, round } from "./stats.ts";

// The users API under load: the built app under `next start`, driven by autocannon at a fixed
// number of connections. What matters are ratios within one run (the health check is the
// baseline, because it does no database work), since absolute figures depend on the machine.

export const DIST_DIR = ".next-bench";
const USERS = 1_000;
const PAGE = 20;

export type ApiOptions = {
  /** Seconds each scenario is measured in each round. */
  durationSeconds: number;
  /** Scenarios run in turn, round after round, so that a noisy neighbor hurts all of them alike. */
  rounds: number;
  warmupSeconds: number;
  connections: number;
  /** Profiles every server and explains the half-load stalls (cpu-profile.cjs, latency-probe.cjs, stalls.ts). */
  profile: boolean;
  /** Where a server's threads run at half load (pinned-load.ts): its main thread alone, or all on one core. */
  placement: Placement;
  log: (line: string) => void;
};

export type ApiRow = {
  key: string;
  scenario: string;
  server: string;
  /** Medians over the rounds. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Median over the rounds of this scenario's throughput over the baseline's in the same round. */
  percentOfBaseline: number | null;
  /** Server CPU time per request (median over rounds), and the throughput that predicts relative to the baseline. */
  cpuMsPerRequest: number | null;
  cpuPercentOfBaseline: number | null;
  perRound: { requestsPerSecond: number; p50Ms: number; p99Ms: number; cpuMsPerRequest: number | null }[];
  requests: number;
  /** Responses outside the expected status, and connection errors: any makes the row invalid. */
  unexpected: number;
  statusCodes: Record<string, number>;
};

/** Latency when the server is not saturated: requests at a constant rate instead of as fast as it goes. */
export type HalfLoadRow = {
  key: string;
  scenario: string;
  /** This scenario's throughput with clients that never let the server rest, placed as the latency run is. */
  capacityPerSecond: number;
  /** Half of it, at a constant rate. */
  offeredPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  requests: number;
  unexpected: number;
  /** How late the load generator itself sent (p99): when large, a row measures the generator. */
  generatorLateP99Ms: number;
};

export type HalfLoad = {
  /**
   * "split": servers' main threads on one core, their other threads and the generator on another;
   * "together": each server's threads all on one core; "shared": no pinning possible here.
   */
  generator: Placement | "shared";
  rows: HalfLoadRow[];
  /** With --profile: per row, how long the server's event loop stalled and what ran meanwhile. */
  stalls?: StallReport[];
};

export type ApiReport = {
  build: "built" | "reused";
  settings: Record<string, Record<string, string>>;
  rows: ApiRow[];
  halfLoad: HalfLoad;
};

export type Scenario = {
  key: string;
  name: string;
  server: string;
  status: number;
  request: RequestSpec;
  /** The paths a rotating request goes through, for load generators other than autocannon. */
  paths?: readonly string[];
};

/** A request whose path (and, for POST, body) changes on every call. */
function rotating(paths: readonly string[], base: RequestSpec): RequestSpec {
  let next = 0;
  return { ...base, setupRequest: (request) => ({ ...request, path: paths[next++ % paths.length] }) };
}

/**
 * The scenarios every API section runs (on SQLite and on PostgreSQL + Redis alike): the baseline,
 * one user read again and again (cached) and through all of them (uncached), pages, and creates.
 */
export function userScenarios(token: string, someone: bigint, ids: readonly bigint[]) {
  const auth = { authorization: `Bearer ${token}` };
  const userPaths = ids.map((id) => `/api/users/${id}`);
  const pagePaths = ids.filter((_, i) => i % PAGE === 0).map((id) => `/api/users?limit=${PAGE}&cursor=${id}`);
  let created = 0;
  const scenario = (
    key: string,
    name: string,
    server: Scenario["server"],
    status: number,
    request: RequestSpec,
    paths?: readonly string[],
  ): Scenario => ({ key, name, server, status, request, ...(paths && { paths }) });
  return {
    health: scenario("health", "GET /api/health (baseline)", "main", 200, { method: "GET", path: "/api/health" }),
    getCached: scenario("getCached", "GET /api/users/[id], cached", "main", 200, {
      method: "GET",
      path: `/api/users/${someone}`,
      headers: auth,
    }),
    getUncached: scenario(
      "getUncached",
      "GET /api/users/[id], uncached",
      "uncached",
      200,
      rotating(userPaths, { method: "GET", headers: auth }),
      userPaths,
    ),
    listCached: scenario(
      "listCached",
      `GET /api/users pages of ${PAGE}, cached`,
      "main",
      200,
      rotating(pagePaths, { method: "GET", headers: auth }),
    ),
    listUncached: scenario(
      "listUncached",
      `GET /api/users pages of ${PAGE}, uncached`,
      "uncached",
      200,
      rotating(pagePaths, { method: "GET", headers: auth }),
    ),
    create: scenario("create", "POST /api/users", "main", 201, {
      method: "POST",
      path: "/api/users",
      headers: { ...auth, "content-type": "application/json" },
      setupRequest: (request) => ({
        ...request,
        body: JSON.stringify({ name: "Load Test", email: `load${++created}@example.com` }),
      }),
    }),
  } satisfies Record<string, Scenario>;
}

/** The benchmark's users: the admin it signs in as, and every id in order. */
export type Users = { adminId: bigint; ids: bigint[] };

/** A fresh SQLite database in `file`, migrated, holding the benchmark's users. */
async function createDatabase(file: string): Promise<Users> {
  applyMigrations(file);
  const db = createPrismaClient(file);
  try {
    return await createUsers(db);
  } finally {
    await db.$disconnect();
  }
}

/** USERS users in an empty database, the first of them an admin. */
export async function createUsers(db: ReturnType<typeof createPrismaClient>): Promise<Users> {
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
}

/** A fresh secret for the servers, the admin's token signed with it, and the user the cached read asks for. */
export async function signIn({ adminId, ids }: Users): Promise<{ secret: string; token: string; someone: bigint }> {
  const secret = randomBytes(32).toString("base64url");
  const token = await signToken({ id: adminId }, { secret });
  return { secret, token, someone: ids[ids.length >> 1]! };
}

export function counts(scenario: Scenario, result: Result) {
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, Number(count)]),
  );
  const total = Object.values(statusCodes).reduce((sum, n) => sum + n, 0);
  return { statusCodes, total, unexpected: total - (statusCodes[String(scenario.status)] ?? 0) + result.errors };
}

export type Measured = { result: Result; cpuMsPerRequest: number | null };

export function summarize(scenario: Scenario, measured: Measured[], baselines: Measured[]): ApiRow {
  const results = measured.map((m) => m.result);
  const cpu = measured.map((m) => m.cpuMsPerRequest);
  const baselineCpu = baselines.map((m) => m.cpuMsPerRequest);
  const cpuKnown = cpu.every((c) => c !== null) && baselineCpu.every((c) => c !== null);
  const statusCodes: Record<string, number> = {};
  let requests = 0;
  let unexpected = 0;
  for (const result of results) {
    const c = counts(scenario, result);
    for (const [code, n] of Object.entries(c.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
    requests += c.total;
    unexpected += c.unexpected;
  }
  const ratios = results.map((result, i) => (100 * result.requests.average) / baselines[i]!.result.requests.average);
  return {
    key: scenario.key,
    scenario: scenario.name,
    server: scenario.server,
    requestsPerSecond: Math.round(median(results.map((r) => r.requests.average))),
    p50Ms: round(median(results.map((r) => r.latency.p50)), 1),
    p99Ms: round(median(results.map((r) => r.latency.p99)), 1),
    percentOfBaseline: round(median(ratios), 1),
    cpuMsPerRequest: cpuKnown ? round(median(cpu as number[]), 3) : null,
    cpuPercentOfBaseline: cpuKnown ? round(median(cpu.map((c, i) => (100 * baselineCpu[i]!) / c!)), 1) : null,
    perRound: measured.map(({ result: r, cpuMsPerRequest }) => ({
      requestsPerSecond: Math.round(r.requests.average),
      p50Ms: r.latency.p50,
      p99Ms: r.latency.p99,
      cpuMsPerRequest: cpuMsPerRequest === null ? null : round(cpuMsPerRequest, 3),
    })),
    requests,
    unexpected,
    statusCodes,
  };
}

export async function benchmarkApi(options: ApiOptions): Promise<ApiReport> {
  const { log } = options;
  const dir = mkdtempSync(path.join(tmpdir(), "workbook-bench-"));
  const servers: Record<string, RunningServer> = {};
  const release = await lockDistDir(DIST_DIR, 300_000);
  try {
    log(`building the app into solutions/${DIST_DIR} if its sources changed…`);
    const build = await buildIfStale(DIST_DIR);
    const file = path.join(dir, "bench.db");
    const users = await createDatabase(file);
    const { secret, token, someone } = await signIn(users);
    const settings = apiSettings(file, secret);
    const { urls, pids } = await startServers(settings, servers, { profile: options.profile });
    const scenarios = apiScenarios(userScenarios(token, someone, users.ids));
    const rows = await measureInTurn(scenarios, urls, pids, options);

    // At 50 connections, each waiting for its answer before sending again, the server is always
    // saturated and latency is mostly queueing: p50 ≈ connections ÷ throughput.
    const halfLoad = await halfLoadThenStop({ scenarios, servers, pids, options });
    return {
      build,
      settings: Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, { ...v, AUTH_SECRET: "(random)" }])),
      rows,
      halfLoad,
    };
  } finally {
    await stopServers(servers);
    release();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The embedded section's three servers, on one SQLite file: main, uncached and logging. */
function apiSettings(file: string, secret: string): Record<string, Record<string, string>> {
  // The limiter must not cap the benchmark, and request logging is off (LOG_LEVEL=warn) so
  // the figures are the API's own; one extra row measures the cost of logging.
  const common = {
    DATABASE_URL: `file:${file}`,
    NEXT_DIST_DIR: DIST_DIR,
    AUTH_SECRET: secret,
    LOG_LEVEL: "warn",
    RATE_LIMIT_MAX: "1000000000",
  };
  return {
    main: common,
    // Two cache entries and a rotation through every user: the caller's own entry, read by the
    // guard on every request, stays the most recently used, so each new id evicts the id before
    // it. The caller hits, as it would in production, and the user read misses, every time.
    uncached: { ...common, CACHE_MAX_ENTRIES: "2" },
    logging: { ...common, LOG_LEVEL: "info" },
  };
}

/** Every scenario the two API sections share, then the baseline on the server that logs each request. */
function apiScenarios(shared: ReturnType<typeof userScenarios>): Scenario[] {
  return [
    shared.health,
    shared.getCached,
    shared.getUncached,
    shared.listCached,
    shared.listUncached,
    shared.create,
    {
      key: "healthLogging",
      name: "GET /api/health, request logging on",
      server: "logging",
      status: 200,
      request: { method: "GET", path: "/api/health" },
    },
  ];
}

/**
 * Starts a `next start` server for each entry of `settings`, one after the other. Each goes into
 * `servers` as soon as it runs, so that the caller's clean-up stops it even if a later one fails.
 * Returns each server's URL and processes (the server and what it started, whose CPU time is the server's).
 */
export async function startServers(
  settings: Record<string, Record<string, string>>,
  servers: Record<string, RunningServer>,
  { profile, log }: { profile: boolean; log?: (line: string) => void },
): Promise<{ urls: Record<string, string>; pids: Record<string, number[]> }> {
  const urls: Record<string, string> = {};
  const pids: Record<string, number[]> = {};
  for (const [name, env] of Object.entries(settings)) {
    const before = new Set(descendants());
    const server = await startServer({ ...env, ...profileSettings(profile) });
    servers[name] = server;
    urls[name] = server.url;
    pids[name] = descendants().filter((pid) => !before.has(pid));
    log?.(`${name} server ready at ${server.url} (${pids[name]!.length} process(es))`);
  }
  return { urls, pids };
}

export async function stopServers(servers: Record<string, RunningServer>): Promise<void> {
  await Promise.all(Object.values(servers).map((server) => server.stop()));
}

/**
 * Every scenario in turn, round after round, after a warm-up each; a row per scenario, its ratios
 * taken against the baseline of the same round.
 */
async function measureInTurn(
  scenarios: readonly Scenario[],
  urls: Record<string, string>,
  pids: Record<string, number[]>,
  options: ApiOptions,
): Promise<ApiRow[]> {
  await warmUp(scenarios, urls, options);
  const results = new Map<string, Measured[]>(scenarios.map((s) => [s.key, []]));
  for (let round = 1; round <= options.rounds; round += 1) {
    for (const scenario of scenarios) {
      const measured = await measureOnce(scenario, urls[scenario.server]!, pids[scenario.server]!, options);
      const { result, cpuMsPerRequest, unexpected } = measured;
      results.get(scenario.key)!.push({ result, cpuMsPerRequest });
      const notes = [
        cpuMsPerRequest !== null && `${cpuMsPerRequest.toFixed(2)} CPU ms/request`,
        unexpected !== 0 && `${unexpected} unexpected`,
      ];
      options.log(roundLine(round, options.rounds, scenario.name, result, notes));
    }
  }
  return rowsAgainstBaseline(scenarios, results);
}

/** autocannon against one URL: `connections` connections, each sending again as soon as it is answered. */
export function closedLoop(scenario: Scenario, url: string, connections: number, duration: number): Promise<Result> {
  return autocannon({ url, connections, duration, requests: [scenario.request], timeout: 10 });
}

/** Each scenario for the warm-up's seconds, on its own server, before anything counts. */
export async function warmUp(
  scenarios: readonly Scenario[],
  urls: Record<string, string>,
  { warmupSeconds, connections, log }: Pick<ApiOptions, "warmupSeconds" | "connections" | "log">,
  where = "",
): Promise<void> {
  for (const scenario of scenarios) {
    log(`warming up ${scenario.name}${where} (${warmupSeconds} s)…`);
    await closedLoop(scenario, urls[scenario.server]!, connections, warmupSeconds);
  }
}

/** One scenario for one round: autocannon's result, the server's CPU time per request, the unexpected answers. */
export async function measureOnce(
  scenario: Scenario,
  url: string,
  pids: readonly number[],
  { connections, durationSeconds }: Pick<ApiOptions, "connections" | "durationSeconds">,
): Promise<Measured & { unexpected: number }> {
  const cpuBefore = cpuMs(pids);
  const result = await closedLoop(scenario, url, connections, durationSeconds);
  const cpuAfter = cpuMs(pids);
  const { total, unexpected } = counts(scenario, result);
  const cpuMsPerRequest =
    cpuBefore === null || cpuAfter === null || total === 0 ? null : (cpuAfter - cpuBefore) / total;
  return { result, cpuMsPerRequest, unexpected };
}

/** A round's progress line: throughput and latency, then the notes that apply. */
export function roundLine(round: number, rounds: number, name: string, result: Result, notes: (string | false)[]) {
  const figures = [
    `${Math.round(result.requests.average)} req/s`,
    `p50 ${result.latency.p50} ms`,
    `p99 ${result.latency.p99} ms`,
    ...notes.filter((note) => note !== false),
  ];
  return `round ${round}/${rounds} · ${name}: ${figures.join(", ")}`;
}

/** A row per scenario, each round's throughput compared with the baseline's in the same round. */
export function rowsAgainstBaseline(scenarios: readonly Scenario[], results: Map<string, Measured[]>): ApiRow[] {
  const baselines = results.get("health")!;
  return scenarios.map((scenario) => summarize(scenario, results.get(scenario.key)!, baselines));
}

const PROFILE_DIR = path.join(ROOT, ".bench", "profiles");

/** With --profile, server settings that make it write a CPU profile and a latency probe to PROFILE_DIR on exit. */
function profileSettings(profile: boolean): Record<string, string> {
  if (!profile) return {};
  const preload = (file: string) => `--require ${path.join(ROOT, "checks", "bench", file)}`;
  return {
    NODE_OPTIONS: `${preload("cpu-profile.cjs")} ${preload("latency-probe.cjs")}`,
    BENCH_CPU_PROFILE_DIR: PROFILE_DIR,
    BENCH_LATENCY_PROBE_DIR: PROFILE_DIR,
  };
}

const HALF_LOAD_KEYS = ["health", "getCached", "getUncached"];

/**
 * Latency at half load for the baseline and the user reads, on both the embedded and the
 * PostgreSQL + Redis servers; then stops every server, since a profiled one writes its profile
 * and probe on exit, and with --profile says where each row's time went.
 */
export async function halfLoadThenStop({
  scenarios,
  servers,
  pids,
  options,
}: {
  scenarios: readonly Scenario[];
  servers: Record<string, RunningServer>;
  pids: Record<string, number[]>;
  options: ApiOptions;
}): Promise<HalfLoad> {
  const chosen = scenarios.filter((s) => HALF_LOAD_KEYS.includes(s.key));
  const urls = Object.fromEntries(Object.entries(servers).map(([name, server]) => [name, server.url]));
  const { windows, ...halfLoad } = await measureHalfLoad({ scenarios: chosen, urls, pids, options });
  await stopServers(servers);
  return options.profile ? { ...halfLoad, stalls: stallReports(windows, chosen, servers, options.log) } : halfLoad;
}

/** The key of the half-load row measured on a bare node:http server. */
export const FLOOR_KEY = "bare";

const FLOOR: Scenario = {
  key: FLOOR_KEY,
  name: "bare node:http server (the machine's floor)",
  server: FLOOR_KEY,
  status: 200,
  request: { method: "GET", path: "/" },
};

type HalfLoadOptions = Pick<
  ApiOptions,
  "durationSeconds" | "warmupSeconds" | "rounds" | "connections" | "placement" | "log"
>;

/**
 * Latency when the server keeps up. For each scenario, its throughput is first measured with
 * clients that never let the server rest, placed exactly as the latency run will be (with
 * pinning, that is one core's worth, not the whole machine's); then it gets half of that at a
 * constant rate from constant-rate.mjs, whose latency counts from when each request was due.
 * Half of each scenario's own capacity, not of the baseline's: an uncached read that costs twice
 * the baseline would otherwise run at full load. A bare node:http server at the baseline's rate
 * gives the floor the machine and the generator set. Each latency run is warmed up at its rate,
 * then measured for rounds × duration seconds at once, so that p99 rests on thousands of requests.
 */
async function measureHalfLoad({
  scenarios,
  urls,
  pids,
  options,
}: {
  scenarios: Scenario[];
  urls: Record<string, string>;
  pids: Record<string, number[]>;
  options: HalfLoadOptions;
}): Promise<HalfLoad & { windows: Window[] }> {
  const pins = pinning();
  const loadCpu = "unavailable" in pins ? undefined : pins.loadCpu;
  const bare = await startBareServer();
  if ("unavailable" in pins) options.log(`latency at half load measured without pinning: ${pins.unavailable}`);
  else {
    for (const server of new Set(scenarios.map((s) => s.server)))
      pinServers(pids[server] ?? [], pins, options.placement);
    pinServers([bare.pid], pins, options.placement);
  }

  const rows: HalfLoadRow[] = [];
  const windows: Window[] = [];
  try {
    for (const scenario of [...scenarios, FLOOR]) {
      const origin = scenario === FLOOR ? bare.url : urls[scenario.server]!;
      const load = { ...loadOf(scenario, origin), connections: options.connections, cpu: loadCpu };
      const capacity = await saturatedThroughput({
        ...load,
        durationSeconds: options.durationSeconds,
        warmupSeconds: options.warmupSeconds,
      });
      // The floor is taken at the baseline's rate: half of a bare server's capacity is more than
      // one core of generator can send evenly, and it is the baseline it is there to compare with.
      const offered =
        scenario === FLOOR ? rows[0]!.offeredPerSecond : Math.max(1, Math.round(capacity.requestsPerSecond / 2));
      const { row, window } = await latencyAtRate(scenario, load, capacity.requestsPerSecond, offered, options);
      rows.push(row);
      windows.push(window);
      options.log(halfLoadLine(row));
    }
  } finally {
    bare.stop();
  }
  return { generator: "unavailable" in pins ? "shared" : options.placement, rows, windows };
}

/** What constant-rate.mjs sends for a scenario: its paths (rotated through), method and headers. */
function loadOf(scenario: Scenario, origin: string) {
  return {
    origin,
    paths: scenario.paths ?? [scenario.request.path ?? "/"],
    method: scenario.request.method ?? "GET",
    headers: scenario.request.headers as Record<string, string> | undefined,
  };
}

/**
 * One scenario at a constant rate, after a warm-up at that rate, for rounds × duration seconds at
 * once; its row, and the time window it was measured in (for the stall report).
 */
async function latencyAtRate(
  scenario: Scenario,
  load: ReturnType<typeof loadOf> & { connections: number; cpu: number | undefined },
  capacityPerSecond: number,
  offered: number,
  options: HalfLoadOptions,
): Promise<{ row: HalfLoadRow; window: Window }> {
  const started = Date.now();
  const result = await constantRate({
    ...load,
    rate: offered,
    durationSeconds: options.durationSeconds * options.rounds,
    warmupSeconds: options.warmupSeconds,
  });
  const window = { key: scenario.key, fromMs: started + options.warmupSeconds * 1000, toMs: Date.now() };
  const row: HalfLoadRow = {
    key: scenario.key,
    scenario: scenario.name,
    capacityPerSecond: Math.round(capacityPerSecond),
    offeredPerSecond: offered,
    p50Ms: result.latencyMs.p50,
    p90Ms: result.latencyMs.p90,
    p99Ms: result.latencyMs.p99,
    p999Ms: result.latencyMs.p999,
    maxMs: result.latencyMs.max,
    requests: result.requests,
    unexpected: result.requests - (result.statuses[String(scenario.status)] ?? 0),
    generatorLateP99Ms: result.generatorLateMs.p99,
  };
  return { row, window };
}

/** A half-load row's progress line. */
function halfLoadLine(row: HalfLoadRow): string {
  const saturated = `${row.scenario}: ${row.capacityPerSecond} req/s saturated`;
  const latency = `p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, max ${row.maxMs} ms`;
  const unexpected = row.unexpected ? `, ${row.unexpected} unexpected` : "";
  return `${saturated}; at ${row.offeredPerSecond} req/s ${latency}${unexpected}`;
}

/** After the servers stopped: each profiled server's stall report for the rows it served. */
function stallReports(
  windows: readonly Window[],
  scenarios: readonly Scenario[],
  servers: Record<string, RunningServer>,
  log: (line: string) => void,
): StallReport[] {
  const reports: StallReport[] = [];
  for (const window of windows) {
    const scenario = scenarios.find((s) => s.key === window.key);
    const server = scenario && servers[scenario.server];
    if (!server) continue;
    const files = stallFiles(PROFILE_DIR, server.pid);
    if (!files) {
      log(`no latency probe or CPU profile from the ${scenario.server} server (pid ${server.pid})`);
      continue;
    }
    reports.push(...explainStalls(files.probe, files.profile, [window]));
  }
  return reports;
}
