// Preloaded into the API server by `npm run bench -- --profile` (NODE_OPTIONS=--require …): records
// what stalls the server's event loop, so that a latency percentile can be explained rather than
// guessed at. It keeps every garbage-collection pause of 1 ms or more and every stall of the event
// loop over 20 ms, and on exit writes them to BENCH_LATENCY_PROBE_DIR/latency-<pid>.json, where
// checks/bench/stalls.ts matches them to the CPU profile (cpu-profile.cjs).
const { PerformanceObserver, constants } = require("node:perf_hooks");
const { mkdirSync, readdirSync, readFileSync, writeFileSync } = require("node:fs");
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
  // The main thread's time on a core and waiting in the run queue for one, in ns (Linux; null
  // elsewhere). Over a stall they say whether the loop was busy, or ready but denied the core
  // (by another thread or process), or neither: blocked, e.g. waiting for GC helper threads.
  // The server's other threads (V8's GC and compiler helpers, libuv's pool) share its core when
  // it is pinned: their time on it says how much of a wait the server caused itself.
  const readRunWait = (file) => readFileSync(file, "utf8").split(" ").map(Number);
  const schedstat = () => {
    try {
      const [run, wait] = readRunWait("/proc/thread-self/schedstat");
      let others = 0;
      for (const tid of readdirSync("/proc/self/task")) {
        if (Number(tid) === process.pid) continue;
        try {
          others += readRunWait(`/proc/self/task/${tid}/schedstat`)[0];
        } catch {
          // The thread ended between listing and reading.
        }
      }
      return { run, wait, others };
    } catch {
      return null;
    }
  };
  // A timer due every 5 ms that comes back late measures how long the loop could not run it.
  let last = performance.now();
  let lastSched = schedstat();
  setInterval(() => {
    const now = performance.now();
    const sched = schedstat();
    const late = now - last - TICK_MS;
    if (late > STALL_MS && stalls.length < LIMIT) {
      const stall = { at: Math.round(epoch(last + TICK_MS)), ms: round(late) };
      // Shares of the whole interval since the last tick, which the stall is most of.
      if (sched && lastSched) {
        const interval = (now - last) * 1e6;
        stall.runningShare = Math.round((100 * (sched.run - lastSched.run)) / interval) / 100;
        stall.waitingShare = Math.round((100 * (sched.wait - lastSched.wait)) / interval) / 100;
        stall.otherThreadsShare = Math.round((100 * (sched.others - lastSched.others)) / interval) / 100;
      }
      stalls.push(stall);
    }
    last = now;
    lastSched = sched;
  }, TICK_MS).unref();
  process.on("exit", () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, `latency-${process.pid}.json`),
      JSON.stringify({ pid: process.pid, clock, gcPauses, stalls }),
    );
  });
  // A server that stops on its own when signalled (the room writes its file first) keeps its way.
  if (process.env.BENCH_LATENCY_PROBE_SIGNALS !== "keep")
    for (const signal of ["SIGTERM", "SIGINT"]) process.once(signal, () => process.exit(0));
}
