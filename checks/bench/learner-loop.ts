import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadLessons } from "../lib/lessons.ts";
import { median, round } from "./stats.ts";

// How long a learner waits: `npm run check lesson-N` against the stubs (what a learner sees
// before writing anything), the same lesson's tests under plain vitest for comparison, and in
// watch mode the time from saving a file to the verdict. The CLI's own cost is the ratio.

export type LearnerOptions = { root: string; runs: number; saves: number; log: (line: string) => void };

export type LessonTiming = { lesson: string; checkMs: number; vitestMs: number; ratio: number };
export type LearnerReport =
  | { skipped: string }
  | { runs: number; lessons: LessonTiming[]; watch: { saves: number; medianMs: number; samplesMs: number[] } | { skipped: string } };

const NPX = process.platform === "win32" ? "npx.cmd" : "npx";
const VERDICT = /^(lesson-\d+)\b.*: \d+\/\d+ tests? passing/m;

function timed(root: string, args: string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  const result = spawnSync(NPX, args, { cwd: root, env, stdio: "ignore", timeout: 300_000 });
  if (result.error) throw result.error;
  return performance.now() - started;
}

/** The learner's progress file: a benchmark must leave it as it found it. */
function preserveState(root: string): () => void {
  const file = path.join(root, ".workbook", "state.json");
  const saved = existsSync(file) ? readFileSync(file) : undefined;
  return () => {
    if (saved) writeFileSync(file, saved);
  };
}

async function watchLatency(root: string, saves: number, log: (line: string) => void): Promise<{ saves: number; medianMs: number; samplesMs: number[] } | { skipped: string }> {
  const { lessons } = loadLessons(root);
  const child = spawn(NPX, ["tsx", "checks/cli.ts", "watch"], {
    cwd: root,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    stdio: ["pipe", "pipe", "pipe"],
    detached: process.platform !== "win32",
  });
  let output = "";
  let waiting: ((lesson: string) => void) | undefined;
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    output += chunk;
    // Every verdict is consumed as it arrives, so a late one is never taken for the next.
    for (let match = VERDICT.exec(output); match; match = VERDICT.exec(output)) {
      output = output.slice(match.index + match[0].length);
      const resolve = waiting;
      waiting = undefined;
      resolve?.(match[1]!);
    }
  });
  const nextVerdict = (timeoutMs = 120_000) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no verdict from watch mode within ${timeoutMs} ms:\n${output}`)), timeoutMs);
      waiting = (lesson) => {
        clearTimeout(timer);
        resolve(lesson);
      };
    });

  let restore: (() => void) | undefined;
  try {
    const lessonId = await nextVerdict();
    const lesson = lessons.find((l) => l.id === lessonId);
    if (!lesson) return { skipped: `watch mode checked ${lessonId}, which has no manifest` };
    const file = path.join(root, lesson.dir, lesson.files[0]!.stub);
    const original = readFileSync(file);
    restore = () => writeFileSync(file, original);
    const samples: number[] = [];
    for (let i = 1; i <= saves; i += 1) {
      const verdict = nextVerdict();
      const started = performance.now();
      // A real edit: watch mode ignores a save that leaves the content as it was.
      writeFileSync(file, Buffer.concat([original, Buffer.from(`\n// benchmark save ${i}\n`)]));
      await verdict;
      samples.push(round(performance.now() - started, 0));
    }
    log(`watch mode on ${lessonId}: save → verdict ${samples.join(", ")} ms`);
    return { saves, medianMs: median(samples), samplesMs: samples };
  } finally {
    restore?.();
    try {
      if (process.platform === "win32") child.kill();
      else process.kill(-child.pid!, "SIGTERM");
    } catch {
      // Already gone.
    }
  }
}

export async function benchmarkLearnerLoop({ root, runs, saves, log }: LearnerOptions): Promise<LearnerReport> {
  if (!existsSync(path.join(root, "checks", "cli.ts"))) {
    return { skipped: "checks/cli.ts does not exist yet, so there is no `npm run check` to time" };
  }
  const { lessons } = loadLessons(root);
  const restoreState = preserveState(root);
  try {
    const stubEnv = { ...process.env, WORKBOOK_TARGET: "stub", NO_COLOR: "1" };
    // One untimed round first, so no lesson pays for a cold disk cache.
    timed(root, ["vitest", "run", ...lessons[0]!.tests.map((t) => path.join(lessons[0]!.dir, t))], stubEnv);
    timed(root, ["tsx", "checks/cli.ts", "check", lessons[0]!.id], { ...process.env, NO_COLOR: "1" });

    const timings: LessonTiming[] = [];
    for (const lesson of lessons) {
      const tests = lesson.tests.map((t) => path.join(lesson.dir, t));
      const check: number[] = [];
      const vitest: number[] = [];
      for (let i = 0; i < runs; i += 1) {
        check.push(timed(root, ["tsx", "checks/cli.ts", "check", lesson.id], { ...process.env, NO_COLOR: "1" }));
        vitest.push(timed(root, ["vitest", "run", ...tests], stubEnv));
      }
      const timing = { lesson: lesson.id, checkMs: Math.round(median(check)), vitestMs: Math.round(median(vitest)), ratio: round(median(check) / median(vitest), 2) };
      timings.push(timing);
      log(`${lesson.id}: check ${timing.checkMs} ms, vitest ${timing.vitestMs} ms, ratio ${timing.ratio}`);
    }

    const hasWatch = existsSync(path.join(root, "checks", "commands", "watch.ts"));
    const watch = hasWatch ? await watchLatency(root, saves, log) : { skipped: "the CLI has no watch mode yet" };
    return { runs, lessons: timings, watch };
  } finally {
    restoreState();
  }
}
