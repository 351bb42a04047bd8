import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadLessons, stubPath, testPaths } from "../learner/workbook/lessons.ts";
import { median, round } from "./stats.ts";

// `npm run report -- --fresh`, timed in two states of the checkout: as it is (lessons holding the
// committed stub or the reference are counted, not run), and with every lesson changed (a comment
// appended to each stub, undone afterwards), where every lesson's tests run. Each is compared with
// plain vitest over every lesson's test files (its defaults), in turn, round after round, so a
// busy machine slows all alike; the ratios are the figures to compare.

export type ReportFreshOptions = { root: string; runs: number; log: (line: string) => void };
export type FreshRow = {
  state: string;
  lessonsRun: number;
  lessonsCounted: number;
  medianMs: number;
  samplesMs: number[];
  ratio: number;
};
export type ReportFreshReport =
  | { skipped: string }
  | { runs: number; lessons: number; tests: number; vitestMs: number; vitestSamplesMs: number[]; rows: FreshRow[] };

const NPX = process.platform === "win32" ? "npx.cmd" : "npx";

function timed(root: string, args: string[], env: NodeJS.ProcessEnv): { ms: number; stdout: string } {
  const started = performance.now();
  const result = spawnSync(NPX, args, {
    cwd: root,
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  if (result.status !== 0 && args.includes("report"))
    throw new Error(`npm run report -- --fresh exited with ${result.status}`);
  return { ms: performance.now() - started, stdout: result.stdout };
}

export function benchmarkReportFresh({ root, runs, log }: ReportFreshOptions): ReportFreshReport {
  if (!existsSync(path.join(root, "checks", "learner", "commands", "report.ts")))
    return { skipped: "checks/learner/commands/report.ts does not exist" };
  const { lessons } = loadLessons(root);
  if (lessons.length === 0) return { skipped: "no lessons" };
  const env = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", NEXT_TELEMETRY_DISABLED: "1" };
  const stubs = lessons.flatMap((lesson) => lesson.files.map((file) => path.join(root, stubPath(lesson, file))));
  const originals = new Map(stubs.map((file) => [file, readFileSync(file)]));
  // --fresh records what it finds: the learner's progress file is put back as it was.
  const stateFile = path.join(root, ".workbook", "state.json");
  const savedState = existsSync(stateFile) ? readFileSync(stateFile) : undefined;
  const restoreStubs = () => {
    for (const [file, content] of originals) writeFileSync(file, content);
  };
  const samples = { asIs: [] as number[], changed: [] as number[], vitest: [] as number[] };
  const counted = { asIs: 0, changed: 0 };
  let tests = 0;
  const restoreState = () => {
    if (savedState) writeFileSync(stateFile, savedState);
    else rmSync(stateFile, { force: true });
  };
  // Every run starts from the learner's own progress file, not from what the run before recorded.
  const report = () => {
    restoreState();
    const result = timed(root, ["tsx", "checks/cli.ts", "report", "--fresh", "--json"], env);
    const parsed = JSON.parse(result.stdout) as { countedNotRun: string[]; lessons: { total: number | null }[] };
    tests = parsed.lessons.reduce((sum, lesson) => sum + (lesson.total ?? 0), 0);
    return { ms: round(result.ms, 0), counted: parsed.countedNotRun.length };
  };
  try {
    for (let run = 1; run <= runs; run += 1) {
      log(`report --fresh, run ${run} of ${runs}…`);
      const asIs = report();
      samples.asIs.push(asIs.ms);
      counted.asIs = asIs.counted;
      for (const [file, content] of originals)
        writeFileSync(file, Buffer.concat([content, Buffer.from("\n// benchmark: a changed lesson\n")]));
      try {
        const changed = report();
        samples.changed.push(changed.ms);
        counted.changed = changed.counted;
      } finally {
        restoreStubs();
      }
      samples.vitest.push(
        round(timed(root, ["vitest", "run", ...lessons.flatMap(testPaths)], { ...env, WORKBOOK_TARGET: "stub" }).ms, 0),
      );
    }
  } finally {
    restoreStubs();
    restoreState();
  }
  const vitestMs = median(samples.vitest);
  const row = (state: string, values: number[], countedLessons: number): FreshRow => ({
    state,
    lessonsRun: lessons.length - countedLessons,
    lessonsCounted: countedLessons,
    medianMs: median(values),
    samplesMs: values,
    ratio: round(median(values) / vitestMs, 2),
  });
  return {
    runs,
    lessons: lessons.length,
    tests,
    vitestMs,
    vitestSamplesMs: samples.vitest,
    rows: [
      row("the checkout as it is", samples.asIs, counted.asIs),
      row("every lesson changed", samples.changed, counted.changed),
    ],
  };
}
