import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

// Where a latency percentile's time goes. The latency probe (latency-probe.cjs) records when the
// server's event loop stalled and every garbage-collection pause; the CPU profile
// (cpu-profile.cjs) records what the server was running. Matched by time, they say, for each
// measured window, how much of it the loop was stalled and what ran during the stalls.

type Probe = {
  pid: number;
  clock: { epochMs: number; monotonicUs: number };
  gcPauses: { at: number; ms: number; kind: string }[];
  /**
   * Shares (0–1) of the stall in which the main thread ran, waited in the run queue, and the
   * server's other threads ran (Linux).
   */
  stalls: { at: number; ms: number; runningShare?: number; waitingShare?: number; otherThreadsShare?: number }[];
};

type CallFrame = { functionName: string; url: string; lineNumber: number };
type CpuProfile = {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
};

export type Window = { key: string; fromMs: number; toMs: number };

export type StallReport = {
  key: string;
  seconds: number;
  /** Event-loop stalls over 20 ms, and all of their time. */
  stalls: number;
  stalledMs: number;
  longestStallMs: number;
  /** Garbage-collection pauses of 1 ms or more in the window. */
  gcPauses: number;
  gcMs: number;
  longestGcMs: number;
  /**
   * Of the stalled time, the share in which the main thread ran on a core, waited for one (ready,
   * but another thread or process had it), and neither (blocked, e.g. on GC helper threads).
   * Null off Linux.
   */
  runningPercent: number | null;
  waitingPercent: number | null;
  blockedPercent: number | null;
  /** The server's other threads' time on a core, as a share of the stalled time: its own part in the wait. */
  otherThreadsPercent: number | null;
  /** What the main thread ran during the stalls, by share of its samples there. */
  during: { what: string; percent: number }[];
};

// A sample is named by V8's own pseudo-frames when it is in one, otherwise by the nearest frame,
// from the leaf up, that belongs to a known package: the code that asked for the work.
const PSEUDO_FRAMES: Record<string, string> = {
  "(garbage collector)": "garbage collection",
  "(idle)": "idle",
  "(program)": "V8 and native code",
};
const PACKAGES: { what: string; url: RegExp }[] = [
  { what: "undici (the Request and Response objects Next creates)", url: /undici/ },
  { what: "Prisma and the SQLite driver", url: /prisma|better-sqlite3/ },
  { what: "Next.js", url: /next\/dist|next-server|\[turbopack\]/ },
  { what: "the app and its bundled packages", url: /\/chunks\// },
];

function categorize(profile: CpuProfile): (nodeId: number) => string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const memo = new Map<number, string>();
  const name = (nodeId: number): string => {
    const leaf = byId.get(nodeId)!.callFrame;
    if (PSEUDO_FRAMES[leaf.functionName]) return PSEUDO_FRAMES[leaf.functionName]!;
    for (let id: number | undefined = nodeId; id !== undefined; id = parent.get(id)) {
      const url = byId.get(id)!.callFrame.url;
      const known = PACKAGES.find((p) => p.url.test(url));
      if (known) return known.what;
    }
    return "Node.js internals";
  };
  return (nodeId) => {
    let what = memo.get(nodeId);
    if (what === undefined) memo.set(nodeId, (what = name(nodeId)));
    return what;
  };
}

const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The stall report of each window, from the probe and profile one server wrote on exit. */
export function explainStalls(probeFile: string, profileFile: string, windows: readonly Window[]): StallReport[] {
  const probe = JSON.parse(readFileSync(probeFile, "utf8")) as Probe;
  const profile = JSON.parse(readFileSync(profileFile, "utf8")) as CpuProfile;
  const what = categorize(profile);
  // Sample i was taken at profile.startTime + the sum of the deltas up to i (µs, monotonic).
  const epochOf = (monotonicUs: number) => probe.clock.epochMs + (monotonicUs - probe.clock.monotonicUs) / 1000;
  const samples: { at: number; nodeId: number }[] = [];
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i += 1) {
    t += profile.timeDeltas[i] ?? 0;
    samples.push({ at: epochOf(t), nodeId: profile.samples[i]! });
  }
  return windows.map((window) => {
    const inWindow = <T extends { at: number }>(items: readonly T[]) =>
      items.filter((item) => item.at >= window.fromMs && item.at < window.toMs);
    const stalls = inWindow(probe.stalls);
    const gc = inWindow(probe.gcPauses);
    const tally = new Map<string, number>();
    let stalledMs = 0;
    let runningMs = 0;
    let waitingMs = 0;
    let otherThreadsMs = 0;
    const scheduled = stalls.every((s) => s.runningShare !== undefined && s.waitingShare !== undefined);
    for (const stall of stalls) {
      stalledMs += stall.ms;
      runningMs += stall.ms * (stall.runningShare ?? 0);
      waitingMs += stall.ms * (stall.waitingShare ?? 0);
      otherThreadsMs += stall.ms * (stall.otherThreadsShare ?? 0);
      for (const sample of samples) {
        if (sample.at < stall.at || sample.at >= stall.at + stall.ms) continue;
        const category = what(sample.nodeId);
        tally.set(category, (tally.get(category) ?? 0) + 1);
      }
    }
    const counted = [...tally.values()].reduce((sum, n) => sum + n, 0);
    const percentOfStalls = (ms: number) =>
      scheduled && stalledMs > 0 ? round(Math.min(100, (100 * ms) / stalledMs)) : null;
    return {
      key: window.key,
      seconds: round((window.toMs - window.fromMs) / 1000, 1),
      stalls: stalls.length,
      stalledMs: round(stalledMs),
      longestStallMs: round(Math.max(0, ...stalls.map((s) => s.ms)), 1),
      gcPauses: gc.length,
      gcMs: round(gc.reduce((sum, pause) => sum + pause.ms, 0)),
      longestGcMs: round(Math.max(0, ...gc.map((pause) => pause.ms)), 1),
      runningPercent: percentOfStalls(runningMs),
      waitingPercent: percentOfStalls(waitingMs),
      blockedPercent: percentOfStalls(Math.max(0, stalledMs - runningMs - waitingMs)),
      otherThreadsPercent: percentOfStalls(otherThreadsMs),
      during: [...tally]
        .sort((a, b) => b[1] - a[1])
        .map(([category, n]) => ({ what: category, percent: round((100 * n) / counted) })),
    };
  });
}

/** The probe and profile a server with this pid wrote, if both exist. */
export function stallFiles(dir: string, pid: number): { probe: string; profile: string } | null {
  const probe = path.join(dir, `latency-${pid}.json`);
  const profile = path.join(dir, `server-${pid}.cpuprofile`);
  return existsSync(probe) && existsSync(profile) ? { probe, profile } : null;
}
