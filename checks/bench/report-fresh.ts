import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadLessons, testPaths } from "../lib/lessons.ts";
import { median, round } from "./stats.ts";

// `npm run report -- --fresh`: every lesson's tests against the learner's files in one vitest run,
// beside one type-check. Timed against plain vitest over the same test files (vitest's defaults:
// one core left free, a process per test file), in turn, round after round, so a busy machine
// slows both alike; the ratio is the figure to compare.

export type ReportFreshOptions = { root: string; runs: number; log: (line: string) => void };
export type ReportFreshReport = { skipped: string } | { runs: number; lessons: number; tests: number; reportMs: number; vitestMs: number; ratio: number; samples: { reportMs: number[]; vitestMs: number[] } };

const NPX = process.platform === "win32" ? "npx.cmd" : "npx";

function timed(root: string, args: string[], env: NodeJS.ProcessEnv): { ms: number; stdout: string } {
  const started = performance.now();
  const result = spawnSync(NPX, args, { cwd: root, env, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { ms: performance.now() - started, stdout: result.stdout };
}

export function benchmarkReportFresh({ root, runs, log }: ReportFreshOptions): ReportFreshReport {
  if (!existsSync(path.join(root, "checks", "commands", "report.ts"))) return { skipped: "checks/commands/report.ts does not exist" };
  const { lessons } = loadLessons(root);
  if (lessons.length === 0) return { skipped: "no lessons" };
  const files = lessons.flatMap(testPaths);
  const env = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", NEXT_TELEMETRY_DISABLED: "1" };
  // --fresh records what it finds: the learner's progress file is put back as it was.
  const stateFile = path.join(root, ".workbook", "state.json");
  const saved = existsSync(stateFile) ? readFileSync(stateFile) : undefined;
  const samples = { reportMs: [] as number[], vitestMs: [] as number[] };
  let tests = 0;
  try {
    for (let run = 1; run <= runs; run += 1) {
      log(`report --fresh, run ${run} of ${runs}…`);
      const report = timed(root, ["tsx", "checks/cli.ts", "report", "--fresh", "--json"], env);
      const parsed = JSON.parse(report.stdout) as { lessons: { total: number | null }[] };
      tests = parsed.lessons.reduce((sum, lesson) => sum + (lesson.total ?? 0), 0);
      samples.reportMs.push(round(report.ms, 0));
      samples.vitestMs.push(round(timed(root, ["vitest", "run", ...files], { ...env, WORKBOOK_TARGET: "stub" }).ms, 0));
    }
  } finally {
    if (saved) writeFileSync(stateFile, saved);
    else rmSync(stateFile, { force: true });
  }
  const reportMs = median(samples.reportMs);
  const vitestMs = median(samples.vitestMs);
  return { runs, lessons: lessons.length, tests, reportMs, vitestMs, ratio: round(reportMs / vitestMs, 2), samples };
}
