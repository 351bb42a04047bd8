import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { type ApiReport, benchmarkApi } from "./api.ts";
import { benchmarkLearnerLoop, type LearnerReport } from "./learner-loop.ts";
import { type LessonProfile, profileLearnerRuns } from "./learner-profile.ts";
import { learnerLines, learnerTargets } from "./learner-report.ts";
import { loadLessons } from "../learner/workbook/lessons.ts";
import { benchmarkMemory, type MemoryReport } from "./memory.ts";
import { benchmarkScale, type ScaleReport } from "./scale.ts";
import { benchmarkReportFresh, type ReportFreshReport } from "./report-fresh.ts";
import { benchmarkRoom, type RoomReport } from "./room.ts";
import { roomLines, roomTargets } from "./room-report.ts";
import { halfLoadLines, halfLoadTargets } from "./half-load-report.ts";
import { formatTable, formatTargets, judge, type TargetResult } from "./report.ts";
import { round } from "./stats.ts";

// `npm run bench`: the API under load, the learner's feedback loop, and the memory of the rate
// limiter and the cache, printed as tables with a PASS or MISS per target and written to
// .bench/results-<timestamp>.json so that runs can be compared.
//
//   npm run bench                        everything (about 5 minutes)
//   npm run bench -- --only api          one section: api, scale, learner, memory, report, room (comma-separated)
//   npm run bench -- --duration 5        seconds per API scenario per round (default 3)
//   npm run bench -- --rounds 5          rounds of all API scenarios in turn (default 3)
//   npm run bench -- --runs 5            timed runs per lesson, of which the median counts (default 3)
//   npm run bench -- --saves 5           saves timed per lesson in watch mode (default 5)
//   npm run bench -- --pause 1000        milliseconds between a verdict and the next save (default 1000)
//   npm run bench -- --only learner --lesson lesson-6,lesson-7   the learner loop of some lessons only
//   npm run bench -- --profile           also profile the API servers and explain their stalls (.bench/profiles),
//                                        and where a learner's re-run goes
//   npm run bench -- --placement together   half-load latency with each server's threads all on one core
//   npm run bench -- --only room --learners 2000 --phase-seconds 10   the room's size and each phase's length
//   npm run bench -- --only room --pin-room    the room's main thread alone on a core, as the API's half-load
//   npm run bench -- --only room --room-baseline <another checkout>   its room too, measured the same way

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const SECTIONS = ["api", "scale", "learner", "memory", "report", "room"] as const;

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    duration: { type: "string", default: "3" },
    rounds: { type: "string", default: "3" },
    warmup: { type: "string", default: "2" },
    connections: { type: "string", default: "50" },
    runs: { type: "string", default: "3" },
    saves: { type: "string", default: "5" },
    pause: { type: "string", default: "1000" },
    lesson: { type: "string" },
    profile: { type: "boolean", default: false },
    placement: { type: "string", default: "split" },
    learners: { type: "string", default: "2000" },
    "pin-room": { type: "boolean", default: false },
    "room-baseline": { type: "string" },
    "phase-seconds": { type: "string", default: "10" },
  },
});

function positive(name: string, value: string, least = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < least) {
    console.error(`--${name} takes a whole number of at least ${least}, got "${value}"`);
    process.exit(2);
  }
  return n;
}

const PLACEMENTS = ["split", "together"] as const;
if (!(PLACEMENTS as readonly string[]).includes(values.placement)) {
  console.error(`--placement takes ${PLACEMENTS.join(" or ")}, got "${values.placement}"`);
  process.exit(2);
}
const placement = values.placement as (typeof PLACEMENTS)[number];

const only = values.only?.split(",").map((s) => s.trim()) ?? [...SECTIONS];
const unknown = only.filter((s) => !(SECTIONS as readonly string[]).includes(s));
if (unknown.length > 0) {
  console.error(`Unknown section ${unknown.join(", ")}; choose from ${SECTIONS.join(", ")}`);
  process.exit(2);
}
const settings = {
  durationSeconds: positive("duration", values.duration),
  rounds: positive("rounds", values.rounds),
  warmupSeconds: positive("warmup", values.warmup),
  connections: positive("connections", values.connections),
  runs: positive("runs", values.runs),
  saves: positive("saves", values.saves),
  pauseMs: positive("pause", values.pause, 0),
  learners: positive("learners", values.learners),
  phaseSeconds: positive("phase-seconds", values["phase-seconds"]),
};

const log = (line: string) => console.error(`· ${line}`);

function commitOf(dir: string): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: dir, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

function machine() {
  const cpus = os.cpus();
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    // Not a git checkout.
  }
  return {
    cpu: `${cpus[0]?.model.trim() ?? "unknown"} × ${cpus.length}`,
    memoryGb: round(os.totalmem() / 2 ** 30, 1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    commit,
    loadAverageAtStart: os.loadavg().map((n) => round(n, 2)),
  };
}

const startedAt = new Date();
const results: {
  date: string;
  machine: ReturnType<typeof machine>;
  settings: typeof settings;
  api?: ApiReport;
  scale?: ScaleReport;
  learnerLoop?: LearnerReport;
  learnerProfile?: LessonProfile[];
  memory?: MemoryReport;
  reportFresh?: ReportFreshReport;
  room?: RoomReport;
  roomBaseline?: RoomReport;
  targets: TargetResult[];
  loadAverageAtEnd?: number[];
} = { date: startedAt.toISOString(), machine: machine(), settings, targets: [] };

const sections: string[] = [];

if (only.includes("api")) {
  const api = await benchmarkApi({ ...settings, profile: values.profile, placement, log });
  results.api = api;
  const row = (key: string) => api.rows.find((r) => r.key === key);
  const valid = (key: string) => row(key)?.unexpected === 0 && row("health")?.unexpected === 0;
  const ratio = (key: string) => (valid(key) ? row(key)!.percentOfBaseline : null);
  sections.push(
    [
      `API at ${settings.connections} connections: ${settings.rounds} rounds of ${settings.durationSeconds} s ` +
        `per scenario, in turn, after ${settings.warmupSeconds} s of warm-up; medians`,
      `(request logging off, LOG_LEVEL=warn, so the figures are the API's own; the last row turns it on)`,
      formatTable(
        [
          "scenario",
          "req/s",
          "% of baseline",
          "p50 ms",
          "p99 ms",
          "server CPU ms/req",
          "% of baseline by CPU",
          "requests",
          "unexpected",
        ],
        api.rows.map((r) => [
          r.scenario,
          r.requestsPerSecond,
          ratio(r.key) ?? "–",
          r.p50Ms,
          r.p99Ms,
          r.cpuMsPerRequest ?? "–",
          r.cpuPercentOfBaseline ?? "–",
          r.requests,
          r.unexpected,
        ]),
      ),
      "",
      ...halfLoadLines(api.halfLoad),
    ].join("\n"),
  );
  results.targets.push(
    judge("cached GET /api/users/[id] throughput vs baseline", ratio("getCached"), "at least", 85, "%"),
    judge("uncached GET /api/users/[id] throughput vs baseline", ratio("getUncached"), "at least", 60, "%"),
    // The same two targets judged by the server's CPU time per request, which a busy machine disturbs less.
    judge(
      "cached GET /api/users/[id], by server CPU per request",
      valid("getCached") ? (row("getCached")!.cpuPercentOfBaseline ?? null) : null,
      "at least",
      85,
      "%",
    ),
    judge(
      "uncached GET /api/users/[id], by server CPU per request",
      valid("getUncached") ? (row("getUncached")!.cpuPercentOfBaseline ?? null) : null,
      "at least",
      60,
      "%",
    ),
    ...api.rows
      .filter((r) => r.key !== "healthLogging")
      .map((r) =>
        judge(
          `p99 latency, ${r.scenario}`,
          r.unexpected === 0 ? r.p99Ms : null,
          "below",
          25,
          "ms",
          r.unexpected ? "unexpected responses" : undefined,
        ),
      ),
    ...halfLoadTargets(api.halfLoad, "p99 at half load"),
  );
}

if (only.includes("scale")) {
  const scale = await benchmarkScale({ ...settings, profile: values.profile, placement, log });
  results.scale = scale;
  if ("skipped" in scale) {
    sections.push(`API on PostgreSQL + Redis: skipped: ${scale.skipped}`);
  } else {
    const { rows, limiter, instances, halfLoad } = scale;
    sections.push(
      [
        `API on PostgreSQL + Redis (npm run services), ${settings.connections} connections, same rounds; medians`,
        formatTable(
          ["scenario", "req/s", "% of baseline", "p50 ms", "p99 ms", "server CPU ms/req", "requests", "unexpected"],
          rows.map((r) => [
            r.scenario,
            r.requestsPerSecond,
            r.unexpected ? "–" : (r.percentOfBaseline ?? "–"),
            r.p50Ms,
            r.p99Ms,
            r.cpuMsPerRequest ?? "–",
            r.requests,
            r.unexpected,
          ]),
        ),
        "",
        `The rate limiter alone, ${limiter.hits} hits each way ` +
          "(one awaited at a time for the wait; 50 in flight for the CPU):",
        formatTable(
          ["limiter", "wait µs per hit", "this process's CPU µs per hit"],
          [
            ["in memory", limiter.memory.waitUs, limiter.memory.cpuUs],
            ["in Redis (one Lua call)", limiter.redis.waitUs, limiter.redis.cpuUs],
          ],
        ),
        `Cached GET /api/users/[id], one instance: ${instances.oneRequestsPerSecond} req/s; ` +
          `two instances (same connections in all): ${instances.twoRequestsPerSecond} req/s ` +
          `(×${instances.ratio}${instances.unexpected ? `, ${instances.unexpected} unexpected` : ""})`,
        "",
        ...halfLoadLines(halfLoad),
      ].join("\n"),
    );
    results.targets.push(...halfLoadTargets(halfLoad, "p99 at half load on PostgreSQL + Redis"));
  }
}

if (only.includes("learner")) {
  log("timing the learner loop (commands, npm run check and vitest per lesson, then watch mode per lesson)…");
  const lessons = values.lesson?.split(",");
  const learner = await benchmarkLearnerLoop({ root: ROOT, ...settings, log, lessons });
  results.learnerLoop = learner;
  if ("skipped" in learner) {
    sections.push(`Learner loop: skipped: ${learner.skipped}`);
    results.targets.push(judge("npm run check / vitest, every lesson", null, "at most", 1, "×", learner.skipped));
  } else {
    const profile = values.profile ? await profileLearner(lessons) : undefined;
    results.learnerProfile = profile;
    sections.push(learnerLines(learner, profile).join("\n"));
    results.targets.push(...learnerTargets(learner));
  }
}

/** The test host's and the type-check's share of a re-run, lesson by lesson. */
async function profileLearner(ids: string[] | undefined): Promise<LessonProfile[]> {
  log("profiling re-runs in the learner's test host, beside the type-check…");
  const all = loadLessons(ROOT).lessons;
  const lessons = ids ? all.filter((lesson) => ids.includes(lesson.id)) : all;
  return profileLearnerRuns(ROOT, lessons, settings.saves, settings.pauseMs);
}

if (only.includes("memory")) {
  log("pushing 1,000,000 distinct keys through the rate limiter and the cache…");
  const memory = benchmarkMemory(ROOT);
  results.memory = memory;
  sections.push(
    [
      `Memory under ${memory.keys.toLocaleString("en")} distinct keys (heap after forced GC, growth from the start)`,
      formatTable(
        ["structure", "bound", "size after", "growth at 100k MB", "growth at 1M MB", "ns/key"],
        memory.results.map((m) => [
          m.name,
          m.bound ?? "–",
          m.sizeAfter,
          m.heapGrowthAt100kMb,
          m.heapGrowthAt1mMb,
          m.nsPerKey,
        ]),
      ),
    ].join("\n"),
  );
  for (const m of memory.results.filter((r) => r.bound !== null)) {
    results.targets.push(
      judge(`${m.name}: entries after 1M keys`, m.sizeAfter, "at most", m.bound!, "entries"),
      // Bounded means flat: the heap must not grow between 100k keys and 1M keys.
      judge(
        `${m.name}: heap growth from 100k to 1M keys`,
        round(m.heapGrowthAt1mMb - m.heapGrowthAt100kMb, 2),
        "at most",
        1,
        "MB",
      ),
    );
  }
}

if (only.includes("report")) {
  log("timing npm run report -- --fresh against plain vitest over every lesson's tests…");
  const fresh = benchmarkReportFresh({ root: ROOT, runs: settings.runs, log });
  results.reportFresh = fresh;
  if ("skipped" in fresh) {
    sections.push(`Trainer's report: skipped: ${fresh.skipped}`);
    results.targets.push(
      judge("npm run report -- --fresh, every lesson changed / vitest alone", null, "at most", 1.1, "×", fresh.skipped),
    );
  } else {
    sections.push(
      [
        `Trainer's report, median of ${fresh.runs} runs each (${fresh.lessons} lessons, ${fresh.tests} tests); ` +
          `vitest alone over every lesson's tests: ${fresh.vitestMs} ms`,
        formatTable(
          ["npm run report -- --fresh", "lessons run", "lessons counted", "median ms", "runs ms", "/ vitest alone"],
          fresh.rows.map((r) => [r.state, r.lessonsRun, r.lessonsCounted, r.medianMs, r.samplesMs.join(", "), r.ratio]),
        ),
      ].join("\n"),
    );
    // With every lesson's tests to run and a type-check besides, the report must still keep up with vitest alone.
    const changed = fresh.rows.find((r) => r.state === "every lesson changed");
    results.targets.push(
      judge(
        "npm run report -- --fresh, every lesson changed / vitest alone",
        changed?.ratio ?? null,
        "at most",
        1.1,
        "×",
      ),
    );
  }
}

if (only.includes("room")) {
  const roomSettings = { learners: settings.learners, seconds: settings.phaseSeconds, pinned: values["pin-room"], log };
  const room = await benchmarkRoom({ root: ROOT, ...roomSettings });
  results.room = room;
  sections.push(roomLines(room, settings.phaseSeconds).join("\n"));
  results.targets.push(...roomTargets(room));
  // Another checkout of the workbook (an earlier commit, say), measured the same way in the same run.
  const baseline = values["room-baseline"];
  if (baseline) {
    log(`room: the same again with the room of ${baseline}…`);
    results.roomBaseline = await benchmarkRoom({ root: path.resolve(baseline), ...roomSettings });
    const label = `the room of ${path.basename(baseline)} at ${commitOf(baseline)}`;
    sections.push([`Baseline: ${label}`, ...roomLines(results.roomBaseline, settings.phaseSeconds)].join("\n"));
  }
}

results.loadAverageAtEnd = os.loadavg().map((n) => round(n, 2));
const dir = path.join(ROOT, ".bench");
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `results-${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);

const { cpu, memoryGb, os: system, node, commit, loadAverageAtStart } = results.machine;
console.log(`Benchmarks · ${results.date} · ${cpu}, ${memoryGb} GB · ${system} · Node ${node} · commit ${commit}`);
console.log(`Load average at start ${loadAverageAtStart.join(" ")}, at end ${results.loadAverageAtEnd.join(" ")}\n`);
console.log(sections.join("\n\n"));
console.log(`\nTargets\n${formatTargets(results.targets)}`);
console.log(`\nWritten to ${path.relative(ROOT, file)}`);
