import { FLOOR_KEY, type HalfLoad, type HalfLoadRow } from "./api.ts";
import { formatTable, judge, type TargetResult } from "./report.ts";
import type { StallReport } from "./stalls.ts";

// The printed half-load section, shared by the embedded and the PostgreSQL + Redis sections.

const PLACEMENTS = {
  split: "each server's main thread pinned to core 0; its other threads and the generator to core 1",
  together: "each server's threads all pinned to core 0 (--placement together); the generator to core 1",
  shared: "no pinning possible: the generator shares the servers' cores",
} satisfies Record<HalfLoad["generator"], string>;

export function halfLoadLines(halfLoad: HalfLoad): string[] {
  const lines = [
    "Latency when the server keeps up: each scenario at a constant rate, half of what it answers saturated " +
      `(${PLACEMENTS[halfLoad.generator]}); latency counted from when each request was due`,
    latencyTable(halfLoad.rows),
  ];
  if (halfLoad.stalls?.length) {
    lines.push(
      "",
      "Where the time goes (--profile): the server's event-loop stalls over 20 ms and its GC pauses in each " +
        "row's window; during the stalls, the share in which its main thread ran, waited for a core, or was " +
        "blocked, how much its own other threads ran meanwhile, and what the CPU profile saw the main thread run",
      stallsTable(halfLoad.stalls, halfLoad.rows),
    );
  }
  return lines;
}

function latencyTable(rows: readonly HalfLoadRow[]): string {
  return formatTable(
    [
      "scenario",
      "saturated req/s",
      "offered req/s",
      "p50 ms",
      "p90 ms",
      "p99 ms",
      "p99.9 ms",
      "max ms",
      "requests",
      "unexpected",
      "generator late p99 ms",
    ],
    rows.map((r) => [
      r.scenario,
      r.capacityPerSecond,
      r.offeredPerSecond,
      r.p50Ms,
      r.p90Ms,
      r.p99Ms,
      r.p999Ms,
      r.maxMs,
      r.requests,
      r.unexpected,
      r.generatorLateP99Ms,
    ]),
  );
}

/** Per row, where its latency went: the stalls, the GC pauses, and what the main thread did meanwhile. */
function stallsTable(stalls: readonly StallReport[], rows: readonly HalfLoadRow[]): string {
  return formatTable(
    [
      "scenario",
      "stalls",
      "stalled ms",
      "longest ms",
      "GC pauses",
      "GC ms",
      "longest GC ms",
      "running %",
      "waiting for a core %",
      "blocked %",
      "its other threads ran %",
      "running what",
    ],
    stalls.map((s) => [
      rows.find((r) => r.key === s.key)?.scenario ?? s.key,
      s.stalls,
      s.stalledMs,
      s.longestStallMs,
      s.gcPauses,
      s.gcMs,
      s.longestGcMs,
      s.runningPercent ?? "–",
      s.waitingPercent ?? "–",
      s.blockedPercent ?? "–",
      s.otherThreadsPercent ?? "–",
      s.during
        .slice(0, 4)
        .map((d) => `${d.what} ${d.percent} %`)
        .join(", ") || "–",
    ]),
  );
}

/** One target per row but the machine's floor, which is there to compare with. */
export function halfLoadTargets(halfLoad: HalfLoad, prefix: string): TargetResult[] {
  return halfLoad.rows
    .filter((r) => r.key !== FLOOR_KEY)
    .map((r) => judge(`${prefix}, ${r.scenario}`, r.unexpected === 0 ? r.p99Ms : null, "below", 25, "ms"));
}
