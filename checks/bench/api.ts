import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import autocannon, { type RequestSpec, type Result } from "autocannon";
import { signToken } from "../../solutions/lib/auth.ts";
import { createPrismaClient } from "../../solutions/lib/prisma.ts";
import { applyMigrations } from "../../prisma/migrate.ts";
import { buildIfStale, lockDistDir, ROOT, startServer, type RunningServer } from "../../solutions/e2e/server.ts";
import { pinnedLoad, pinning, pinProcesses } from "./pinned-load.ts";
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
  /** Writes a CPU profile of the main server to .bench/profiles (see cpu-profile.cjs). */
  profile: boolean;
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

/** Latency when the server is not saturated: a fixed offered rate instead of as fast as it goes. */
export type HalfLoadRow = {
  key: string;
  scenario: string;
  offeredPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  unexpected: number;
  /** How the load was generated: "pinned" (servers on one core, autocannon on another) or "shared" (in-process). */
  generator: "pinned" | "shared";
};

export type ApiReport = {
  build: "built" | "reused";
  settings: Record<string, Record<string, string>>;
  rows: ApiRow[];
  halfLoad: HalfLoadRow[];
};

export type Scenario = {
  key: string;
  name: string;
  server: "main" | "uncached" | "logging";
  status: number;
  request: RequestSpec;
};

/** A request whose path (and, for POST, body) changes on every call. */
export function rotating(paths: readonly string[], base: RequestSpec): RequestSpec {
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
  const scenario = (key: string, name: string, server: Scenario["server"], status: number, request: RequestSpec) => ({
    key,
    name,
    server,
    status,
    request,
  });
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

async function seedDatabase(file: string): Promise<{ adminId: bigint; ids: bigint[] }> {
  applyMigrations(file);
  const db = createPrismaClient(file);
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
  const servers: RunningServer[] = [];
  const release = await lockDistDir(DIST_DIR, 300_000);
  try {
    log(`building the app into solutions/${DIST_DIR} if its sources changed…`);
    const build = await buildIfStale(DIST_DIR);
    const file = path.join(dir, "bench.db");
    const { adminId, ids } = await seedDatabase(file);
    const secret = randomBytes(32).toString("base64url");
    const token = await signToken({ id: adminId }, { secret });
    const someone = ids[ids.length >> 1]!;

    // The limiter must not cap the benchmark, and request logging is off (LOG_LEVEL=warn) so
    // the figures are the API's own; one extra row measures the cost of logging.
    const common = {
      DATABASE_URL: `file:${file}`,
      NEXT_DIST_DIR: DIST_DIR,
      AUTH_SECRET: secret,
      LOG_LEVEL: "warn",
      RATE_LIMIT_MAX: "1000000000",
    };
    const settings: Record<string, Record<string, string>> = {
      main: {
        ...common,
        ...(options.profile && {
          NODE_OPTIONS: `--require ${path.join(ROOT, "checks", "bench", "cpu-profile.cjs")}`,
          BENCH_CPU_PROFILE_DIR: path.join(ROOT, ".bench", "profiles"),
        }),
      },
      // One cache entry and a rotation through every user: a lookup hits only when the one
      // before it asked for the same id, about one in a thousand.
      uncached: { ...common, CACHE_MAX_ENTRIES: "1" },
      logging: { ...common, LOG_LEVEL: "info" },
    };
    const urls: Record<string, string> = {};
    const pids: Record<string, number[]> = {};
    for (const name of ["main", "uncached", "logging"] as const) {
      const before = new Set(descendants());
      const server = await startServer(settings[name]!);
      servers.push(server);
      urls[name] = server.url;
      pids[name] = descendants().filter((pid) => !before.has(pid));
    }

    const shared = userScenarios(token, someone, ids);
    const scenarios: Scenario[] = [
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

    const run = (scenario: Scenario, duration: number, overallRate?: number) =>
      autocannon({
        url: urls[scenario.server]!,
        connections: options.connections,
        duration,
        requests: [scenario.request],
        timeout: 10,
        ...(overallRate && { overallRate }),
      });

    for (const scenario of scenarios) {
      log(`warming up ${scenario.name} (${options.warmupSeconds} s)…`);
      await run(scenario, options.warmupSeconds);
    }
    const results = new Map<string, Measured[]>(scenarios.map((s) => [s.key, []]));
    for (let round = 1; round <= options.rounds; round += 1) {
      for (const scenario of scenarios) {
        const cpuBefore = cpuMs(pids[scenario.server]!);
        const result = await run(scenario, options.durationSeconds);
        const cpuAfter = cpuMs(pids[scenario.server]!);
        const c = counts(scenario, result);
        const cpuMsPerRequest =
          cpuBefore === null || cpuAfter === null || c.total === 0 ? null : (cpuAfter - cpuBefore) / c.total;
        results.get(scenario.key)!.push({ result, cpuMsPerRequest });
        log(
          `round ${round}/${options.rounds} · ${scenario.name}: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms${cpuMsPerRequest === null ? "" : `, ${cpuMsPerRequest.toFixed(2)} CPU ms/request`}${c.unexpected ? `, ${c.unexpected} unexpected` : ""}`,
        );
      }
    }
    const baselines = results.get("health")!;
    const rows = scenarios.map((scenario) => summarize(scenario, results.get(scenario.key)!, baselines));

    // At 50 connections, each waiting for its answer before sending again, the server is always
    // saturated and latency is mostly queueing: p50 ≈ connections ÷ throughput. Offering half the
    // baseline's throughput shows the latency of a server that keeps up.
    const offered = Math.max(1, Math.round(rows[0]!.requestsPerSecond / 2));
    const halfLoad = await measureHalfLoad({
      scenarios: scenarios.filter((s) => ["health", "getCached", "getUncached"].includes(s.key)),
      urls,
      pids,
      offered,
      options,
      run: (scenario, duration, rate) => run(scenario, duration, rate),
    });
    return {
      build,
      settings: Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, { ...v, AUTH_SECRET: "(random)" }])),
      rows,
      halfLoad,
    };
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    release();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * p50 and p99 at a fixed offered rate. With two cores or more (Linux), the servers are pinned to
 * one core and autocannon runs in a process of its own on another, so that the load generator's
 * work is not counted as the server's latency; otherwise autocannon runs in this process.
 * Scenarios whose requests change per call (rotating paths, bodies) always run in-process.
 */
export async function measureHalfLoad({
  scenarios,
  urls,
  pids,
  offered,
  options,
  run,
}: {
  scenarios: Scenario[];
  urls: Record<string, string>;
  pids: Record<string, number[]>;
  offered: number;
  options: Pick<ApiOptions, "durationSeconds" | "connections" | "log">;
  run: (scenario: Scenario, duration: number, rate: number) => Promise<Result>;
}): Promise<HalfLoadRow[]> {
  const pins = pinning();
  if ("unavailable" in pins) options.log(`latency at half load measured in-process: ${pins.unavailable}`);
  else for (const server of new Set(scenarios.map((s) => s.server))) pinProcesses(pids[server] ?? [], pins.serverCpu);
  const rows: HalfLoadRow[] = [];
  for (const scenario of scenarios) {
    const fixed = !scenario.request.setupRequest && !scenario.request.body;
    let row: HalfLoadRow;
    if (!("unavailable" in pins) && fixed) {
      const result = await pinnedLoad({
        url: urls[scenario.server]! + (scenario.request.path ?? "/"),
        cpu: pins.loadCpu,
        rate: offered,
        connections: options.connections,
        durationSeconds: options.durationSeconds,
        headers: scenario.request.headers as Record<string, string> | undefined,
      });
      row = {
        key: scenario.key,
        scenario: scenario.name,
        offeredPerSecond: offered,
        p50Ms: result.p50Ms,
        p99Ms: result.p99Ms,
        unexpected: result.non2xx + result.errors,
        generator: "pinned",
      };
    } else {
      const result = await run(scenario, options.durationSeconds, offered);
      row = {
        key: scenario.key,
        scenario: scenario.name,
        offeredPerSecond: offered,
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        unexpected: counts(scenario, result).unexpected,
        generator: "shared",
      };
    }
    rows.push(row);
    options.log(
      `${scenario.name} at ${offered} req/s offered (${row.generator}): p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms`,
    );
  }
  return rows;
}
