import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { explainStalls, stallFiles } from "./stalls";

// A probe and a profile written by hand: the server's clocks read epoch 1,000,000 ms at monotonic
// 5,000,000 µs, so a profile sample at monotonic t µs happened at epoch 1,000,000 + (t − 5e6) / 1000.
const dir = mkdtempSync(path.join(tmpdir(), "stalls-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const frame = (functionName: string, url = "") => ({ functionName, url, lineNumber: 0 });
const profile = {
  nodes: [
    { id: 1, callFrame: frame("(root)"), children: [2, 3, 4, 6] },
    { id: 2, callFrame: frame("(garbage collector)") },
    {
      id: 3,
      callFrame: frame("handleRequest", "file:///app/node_modules/next/dist/server/base-server.js"),
      children: [5],
    },
    { id: 4, callFrame: frame("(idle)") },
    // Node's own code called by Next: named after Next, the nearest known package.
    { id: 5, callFrame: frame("emit", "node:events") },
    { id: 6, callFrame: frame("processTicksAndRejections", "node:internal/process/task_queues") },
  ],
  startTime: 5_000_000,
  // Samples every ms from epoch 1,000,100: GC ×4, Next ×4 (one in node:events under Next), Node ×2, idle ×2.
  samples: [2, 2, 2, 2, 3, 3, 5, 3, 6, 6, 4, 4],
  timeDeltas: [100_000, ...Array.from({ length: 11 }, () => 1_000)],
};
const probe = {
  pid: 42,
  clock: { epochMs: 1_000_000, monotonicUs: 5_000_000 },
  gcPauses: [
    { at: 1_000_100, ms: 4, kind: "minor" },
    { at: 1_000_500, ms: 12, kind: "major" },
  ],
  stalls: [
    { at: 1_000_100, ms: 10, runningShare: 0.5, waitingShare: 0.3, otherThreadsShare: 0.2 },
    { at: 1_000_900, ms: 30, runningShare: 0.1, waitingShare: 0.8, otherThreadsShare: 0.5 },
  ],
};
writeFileSync(path.join(dir, "latency-42.json"), JSON.stringify(probe));
writeFileSync(path.join(dir, "server-42.cpuprofile"), JSON.stringify(profile));
const files = stallFiles(dir, 42)!;

describe("explainStalls", () => {
  it("counts the stalls and GC pauses inside each window, and only those", () => {
    const [first, second] = explainStalls(files.probe, files.profile, [
      { key: "a", fromMs: 1_000_000, toMs: 1_000_600 },
      { key: "b", fromMs: 1_000_600, toMs: 1_002_000 },
    ]);
    expect(first).toMatchObject({ key: "a", stalls: 1, stalledMs: 10, gcPauses: 2, gcMs: 16, longestGcMs: 12 });
    expect(second).toMatchObject({ key: "b", stalls: 1, stalledMs: 30, longestStallMs: 30, gcPauses: 0, gcMs: 0 });
  });

  it("names what ran during the stalls, by V8's pseudo-frames or the nearest known package", () => {
    const [report] = explainStalls(files.probe, files.profile, [{ key: "a", fromMs: 1_000_000, toMs: 1_000_600 }]);
    // The stall covers epoch 1,000,100 to 1,000,110: the first ten samples, the two idle ones after it.
    expect(report!.during).toEqual([
      { what: "garbage collection", percent: 40 },
      { what: "Next.js", percent: 40 },
      { what: "Node.js internals", percent: 20 },
    ]);
  });

  it("splits the stalled time into running, waiting for a core, and blocked", () => {
    const [both] = explainStalls(files.probe, files.profile, [{ key: "ab", fromMs: 1_000_000, toMs: 1_002_000 }]);
    // Running 5 + 3 = 8 ms of 40, waiting 3 + 24 = 27 ms, blocked the other 5 ms; other threads 2 + 15 ms.
    expect(both).toMatchObject({ runningPercent: 20, waitingPercent: 68, blockedPercent: 13, otherThreadsPercent: 43 });
  });

  it("names nothing run in a stall the profile has no samples of", () => {
    const [report] = explainStalls(files.probe, files.profile, [{ key: "b", fromMs: 1_000_600, toMs: 1_002_000 }]);
    expect(report!.during).toEqual([]);
  });

  it("reports nothing stalled in a quiet window", () => {
    const [report] = explainStalls(files.probe, files.profile, [{ key: "c", fromMs: 2_000_000, toMs: 2_001_000 }]);
    expect(report).toMatchObject({ stalls: 0, stalledMs: 0, longestStallMs: 0, gcPauses: 0, runningPercent: null });
  });
});

describe("stallFiles", () => {
  it("finds nothing for a server that wrote no probe", () => {
    expect(stallFiles(dir, 7)).toBeNull();
  });
});
