// Preloaded into the API server by `npm run bench -- --profile` (NODE_OPTIONS=--require …): records
// what stalls the server's event loop, so that a latency percentile can be explained rather than
// guessed at. It keeps every garbage-collection pause of 1 ms or more and every stall of the event
// loop over 20 ms, and on exit writes them to BENCH_LATENCY_PROBE_DIR/latency-<pid>.json, where
// checks/bench/stalls.ts matches them to the CPU profile (cpu-profile.cjs).
const { PerformanceObserver, constants } = require("node:perf_hooks");
const { mkdirSync, writeFileSync } = require("node:fs");
const path = require("node:path");

const dir = process.env.BENCH_LATENCY_PROBE_DIR;
const LIMIT = 50_000;
const TICK_MS = 5;
const STALL_MS = 20;
if (dir) {
  const kinds = {
    [constants.NODE_PERFORMANCE_GC_MAJOR]: "major",
    [constants.NODE_PERFORMANCE_GC_MINOR]: "minor",
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weak callbacks",
  };
  // One reading of both clocks, so that a CPU profile's timestamps (monotonic, in µs) can be
  // matched to these (epoch ms).
  const clock = { epochMs: Date.now(), monotonicUs: Number(process.hrtime.bigint() / 1000n) };
  const epoch = (performanceMs) => performance.timeOrigin + performanceMs;
  const round = (ms) => Math.round(ms * 10) / 10;
  const gcPauses = [];
  const stalls = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.duration < 1 || gcPauses.length >= LIMIT) continue;
      gcPauses.push({
        at: Math.round(epoch(entry.startTime)),
        ms: round(entry.duration),
        kind: kinds[entry.detail?.kind] ?? "other",
      });
    }
  }).observe({ entryTypes: ["gc"] });
  // A timer due every 5 ms that comes back late measures how long the loop could not run it.
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    const late = now - last - TICK_MS;
    if (late > STALL_MS && stalls.length < LIMIT)
      stalls.push({ at: Math.round(epoch(last + TICK_MS)), ms: round(late) });
    last = now;
  }, TICK_MS).unref();
  process.on("exit", () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, `latency-${process.pid}.json`),
      JSON.stringify({ pid: process.pid, clock, gcPauses, stalls }),
    );
  });
  for (const signal of ["SIGTERM", "SIGINT"]) process.once(signal, () => process.exit(0));
}
