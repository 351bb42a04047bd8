import { spawnSync } from "node:child_process";
import path from "node:path";
import { round } from "./stats.ts";

// Heap growth of the rate limiter and the cache under 1,000,000 distinct keys, measured in a
// fresh process with --expose-gc so that garbage collection can be forced between readings.

type MemoryRow = {
  name: string;
  bound: number | null;
  sizeAfter: number;
  heapGrowthAt100kMb: number;
  heapGrowthAt1mMb: number;
  nsPerKey: number;
};
export type MemoryReport = { keys: number; results: MemoryRow[] };

export function benchmarkMemory(root: string): MemoryReport {
  const probe = path.join(root, "checks", "bench", "memory-probe.ts");
  const result = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", probe], {
    cwd: root,
    encoding: "utf8",
    timeout: 300_000,
  });
  if (result.status !== 0) throw new Error(`memory probe failed (exit ${result.status}):\n${result.stderr}`);
  const report = JSON.parse(result.stdout) as MemoryReport;
  for (const row of report.results) {
    row.heapGrowthAt100kMb = round(row.heapGrowthAt100kMb, 2);
    row.heapGrowthAt1mMb = round(row.heapGrowthAt1mMb, 2);
    row.nsPerKey = Math.round(row.nsPerKey);
  }
  return report;
}
