import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type Lesson, loadLessons, stubPath, testPaths } from "../learner/workbook/lessons.ts";
import { median, round } from "./stats.ts";

// `npm run report -- --fresh`, timed in two states of the checkout: as it is (lessons holding the
// committed stub or the reference are counted, not run), and with every lesson changed (a comment
// appended to each stub, undone afterwards), where every lesson's tests run. Each is compared with
// plain vitest over every lesson's test files (its defaults), in turn, round after round, so a
// busy machine slows all alike; the ratios are the figures to compare.

type ReportFreshOptions = { root: string; runs: number; log: (line: string) => void };
type FreshRow = {
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
  const files = learnerFiles(root, lessons);
  const samples: Samples = { asIs: [], changed: [], vitest: [] };
  const counted = { asIs: 0, changed: 0 };
  let tests = 0;
  // Every run starts from the learner's own progress file, not from what the run before recorded.
  const report = () => {
    files.restoreState();
    const result = timeReport(root, env);
    tests = result.tests;
    return result;
  };
  try {
    for (let run = 1; run <= runs; run += 1) {
      log(`report --fresh, run ${run} of ${runs}…`);
      const asIs = report();
      samples.asIs.push(asIs.ms);
      counted.asIs = asIs.counted;
      files.changeEveryLesson();
      try {
        const changed = report();
        samples.changed.push(changed.ms);
        counted.changed = changed.counted;
      } finally {
        files.restoreStubs();
      }
      samples.vitest.push(
        round(timed(root, ["vitest", "run", ...lessons.flatMap(testPaths)], { ...env, WORKBOOK_TARGET: "stub" }).ms, 0),
      );
    }
  } finally {
    files.restoreStubs();
    files.restoreState();
  }
  return summary(lessons.length, runs, tests, samples, counted);
}

type Samples = { asIs: number[]; changed: number[]; vitest: number[] };

/** What the benchmark changes, and how to put it back: every lesson's stub, and the learner's progress file. */
function learnerFiles(root: string, lessons: readonly Lesson[]) {
  const stubs = lessons.flatMap((lesson) => lesson.files.map((file) => path.join(root, stubPath(lesson, file))));
  const originals = new Map(stubs.map((file) => [file, readFileSync(file)]));
  // --fresh records what it finds: the learner's progress file is put back as it was.
  const stateFile = path.join(root, ".workbook", "state.json");
  const savedState = existsSync(stateFile) ? readFileSync(stateFile) : undefined;
  return {
    changeEveryLesson() {
      for (const [file, content] of originals)
        writeFileSync(file, Buffer.concat([content, Buffer.from("\n// benchmark: a changed lesson\n")]));
    },
    restoreStubs() {
      for (const [file, content] of originals) writeFileSync(file, content);
    },
    restoreState() {
      if (savedState) writeFileSync(stateFile, savedState);
      else rmSync(stateFile, { force: true });
    },
  };
}

/** One `report --fresh --json`: its time, how many lessons it counted rather than ran, and their tests in all. */
function timeReport(root: string, env: NodeJS.ProcessEnv): { ms: number; counted: number; tests: number } {
  const result = timed(root, ["tsx", "checks/cli.ts", "report", "--fresh", "--json"], env);
  const parsed = JSON.parse(result.stdout) as { countedNotRun: string[]; lessons: { total: number | null }[] };
  return {
    ms: round(result.ms, 0),
    counted: parsed.countedNotRun.length,
    tests: parsed.lessons.reduce((sum, lesson) => sum + (lesson.total ?? 0), 0),
  };
}

/** Medians of the runs, each state's against vitest alone. */
function summary(
  lessons: number,
  runs: number,
  tests: number,
  samples: Samples,
  counted: { asIs: number; changed: number },
): ReportFreshReport {
  const vitestMs = median(samples.vitest);
  const row = (state: string, values: number[], countedLessons: number): FreshRow => ({
    state,
    lessonsRun: lessons - countedLessons,
    lessonsCounted: countedLessons,
    medianMs: median(values),
    samplesMs: values,
    ratio: round(median(values) / vitestMs, 2),
  });
  return {
    runs,
    lessons,
    tests,
    vitestMs,
    vitestSamplesMs: samples.vitest,
    rows: [
      row("the checkout as it is", samples.asIs, counted.asIs),
      row("every lesson changed", samples.changed, counted.changed),
    ],
  };
}
