import { spawn, spawnSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type Lesson, loadLessons, stubPath } from "../learner/workbook/lessons.ts";
import { median, round } from "./stats.ts";

// How long a learner waits, measured the way a learner runs things (through npm), against the
// committed stubs:
//  - watch mode: `npm start lesson-N`, the time to its first verdict, then the time from saving
//    the stub (a real edit, a comment appended) to the verdict, per lesson; and in the same
//    minute vitest's own watch mode (`vitest --watch --mode stub <lesson folder>`) on the same
//    saves, to its "Tests" summary line. Between saves both get the same pause: a learner reads
//    the verdict before saving again;
//  - the commands that run no tests (hint, progress, diff, reset, solve);
//  - `npm run check lesson-N` beside the same lesson's tests under bare `vitest run`.
// The learner's files and .workbook/state.json are restored afterwards.

type LearnerOptions = {
  root: string;
  runs: number;
  saves: number;
  /** Between a verdict and the next save, in milliseconds. */
  pauseMs: number;
  log: (line: string) => void;
  lessons?: string[];
};

type LessonTiming = { lesson: string; checkMs: number; vitestMs: number; ratio: number };
type SaveTimings = { firstVerdictMs: number; medianMs: number; samplesMs: number[] };
type WatchTiming = SaveTimings & {
  lesson: string;
  /** vitest's own watch mode on the same saves, in the same minute. */
  vitest: SaveTimings;
  /** Watch mode's median ÷ vitest's own. */
  ratio: number;
};
type CommandTiming = { command: string; medianMs: number; samplesMs: number[]; baseline?: boolean };
export type LearnerReport =
  | { skipped: string }
  | {
      runs: number;
      saves: number;
      lessons: LessonTiming[];
      pauseMs: number;
      watch: WatchTiming[] | { skipped: string };
      commands: CommandTiming[];
    };

/** The save → verdict limit per lesson: lessons 9 and 10 (route handlers, Redis) have the most to run. */
export function watchLimitMs(lessonId: string): number {
  return ["lesson-9", "lesson-10"].includes(lessonId) ? 500 : 300;
}

const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const NPX = process.platform === "win32" ? "npx.cmd" : "npx";
const VERDICT = /^(lesson-\d+)\b.*: (?:\d+\/\d+ tests? passing|stopped before|not passing)/m;
/** vitest's summary after each run in its watch mode: " Tests  34 failed (34)". */
const VITEST_SUMMARY = /^ *Tests {2}.*\(\d+\)$/m;

function timed(root: string, command: string, args: string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  const result = spawnSync(command, args, { cwd: root, env, stdio: "ignore", timeout: 300_000 });
  if (result.error) throw result.error;
  return performance.now() - started;
}

/** Files a benchmark changes: each is put back as it was, or removed when it did not exist. */
function preserve(root: string, files: string[]): () => void {
  const saved = files.map((file) => {
    const full = path.join(root, file);
    return { full, content: existsSync(full) ? readFileSync(full) : undefined };
  });
  return () => {
    for (const { full, content } of saved) {
      if (content) writeFileSync(full, content);
      else rmSync(full, { force: true });
    }
  };
}

/** Watch mode as a learner starts it: through npm, to its verdict lines. */
function watchMode(root: string, lesson: Lesson, saves: number, pauseMs: number): Promise<SaveTimings> {
  return saveTimings(root, lesson, saves, pauseMs, {
    command: NPM,
    args: ["start", "--silent", lesson.id],
    answer: VERDICT,
  });
}

/** vitest's own watch mode on the lesson's folder, to its summary lines. */
function vitestWatchMode(root: string, lesson: Lesson, saves: number, pauseMs: number): Promise<SaveTimings> {
  return saveTimings(root, lesson, saves, pauseMs, {
    command: NPX,
    args: ["vitest", "--watch", "--mode", "stub", lesson.dir],
    answer: VITEST_SUMMARY,
  });
}

/**
 * Starts a watcher, times its first answer, then saves the lesson's first stub (a real edit: a
 * comment appended, which every watcher counts as a change) `saves` times, timing each answer.
 */
async function saveTimings(
  root: string,
  lesson: Lesson,
  saves: number,
  pauseMs: number,
  watcher: { command: string; args: string[]; answer: RegExp },
): Promise<SaveTimings> {
  const started = performance.now();
  const child = spawn(watcher.command, watcher.args, {
    cwd: root,
    // CI makes vitest refuse to watch; colors would split the lines matched.
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", CI: "" },
    stdio: ["pipe", "pipe", "pipe"],
    detached: process.platform !== "win32",
  });
  const answers = answerStream(child.stdout, watcher.answer);
  const file = path.join(root, stubPath(lesson, lesson.files[0]!));
  const original = readFileSync(file);
  try {
    await answers.next();
    const firstVerdictMs = Math.round(performance.now() - started);
    const samples: number[] = [];
    for (let i = 1; i <= saves; i += 1) {
      await sleep(pauseMs);
      const answer = answers.next();
      const saved = performance.now();
      writeFileSync(file, Buffer.concat([original, Buffer.from(`\n// benchmark save ${i}\n`)]));
      await answer;
      samples.push(Math.round(performance.now() - saved));
    }
    return { firstVerdictMs, medianMs: median(samples), samplesMs: samples };
  } finally {
    writeFileSync(file, original);
    try {
      if (process.platform === "win32") child.kill();
      else process.kill(-child.pid!, "SIGTERM");
    } catch {
      // Already gone.
    }
  }
}

/** Each answer a watcher prints, in turn; one that arrives late is never taken for the next. */
function answerStream(stdout: NodeJS.ReadableStream, answer: RegExp): { next(timeoutMs?: number): Promise<void> } {
  let output = "";
  let pending = 0;
  let waiting: (() => void) | undefined;
  stdout.setEncoding("utf8");
  stdout.on("data", (chunk: string) => {
    output += chunk;
    for (let match = answer.exec(output); match; match = answer.exec(output)) {
      output = output.slice(match.index + match[0].length);
      const resolve = waiting;
      waiting = undefined;
      if (resolve) resolve();
      else pending += 1;
    }
  });
  return {
    next: (timeoutMs = 120_000) =>
      new Promise<void>((resolve, reject) => {
        if (pending > 0) {
          pending -= 1;
          resolve();
          return;
        }
        const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms:\n${output}`)), timeoutMs);
        waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      }),
  };
}

/** Per lesson, watch mode and then, in the same minute, vitest's own on the same saves. */
async function watchTimings(
  root: string,
  lessons: Lesson[],
  saves: number,
  pauseMs: number,
  log: (line: string) => void,
): Promise<WatchTiming[]> {
  const watch: WatchTiming[] = [];
  for (const lesson of lessons) {
    const ours = await watchMode(root, lesson, saves, pauseMs);
    const vitest = await vitestWatchMode(root, lesson, saves, pauseMs);
    const timing = { lesson: lesson.id, ...ours, vitest, ratio: round(ours.medianMs / vitest.medianMs, 2) };
    watch.push(timing);
    log(
      `watch mode on ${lesson.id}: first verdict ${timing.firstVerdictMs} ms, ` +
        `save → verdict ${timing.samplesMs.join(", ")} ms; vitest's own ${vitest.samplesMs.join(", ")} ms`,
    );
  }
  return watch;
}

/** Commands that run no tests, as a learner types them; solve's changes are undone between runs. */
function commandTimings(root: string, lesson: Lesson, runs: number): CommandTiming[] {
  const env = { ...process.env, NO_COLOR: "1" };
  const commands: { command: string; args: string[] }[] = [
    { command: "hint", args: ["run", "--silent", "hint", lesson.id] },
    { command: "progress", args: ["run", "--silent", "progress"] },
    { command: "diff", args: ["run", "--silent", "diff", lesson.id] },
    { command: "reset", args: ["run", "--silent", "reset", lesson.id, "--", "--yes"] },
    { command: "solve", args: ["run", "--silent", "solve", lesson.id, "--", "--yes"] },
  ];
  // For scale on a busy machine: Node doing nothing, and what every command used to start with.
  const baselines: { command: string; bin: string; args: string[] }[] = [
    { command: "node -e 0 (for scale)", bin: process.execPath, args: ["-e", "0"] },
    { command: "npx tsx -e 0 (for scale)", bin: NPX, args: ["tsx", "-e", "0"] },
  ];
  const scale = baselines.map(({ command, bin, args }) => {
    const samples = Array.from({ length: runs }, () => Math.round(timed(root, bin, args, env)));
    return { command, medianMs: median(samples), samplesMs: samples, baseline: true };
  });
  const stubs = lesson.files.map((file) => stubPath(lesson, file));
  return [
    ...scale,
    ...commands.map(({ command, args }) => {
      const samples: number[] = [];
      for (let i = 0; i < runs; i += 1) {
        const restore = preserve(root, stubs);
        samples.push(Math.round(timed(root, NPM, args, env)));
        restore();
      }
      return { command, medianMs: median(samples), samplesMs: samples };
    }),
  ];
}

export async function benchmarkLearnerLoop({
  root,
  runs,
  saves,
  pauseMs,
  log,
  lessons: only,
}: LearnerOptions): Promise<LearnerReport> {
  if (!existsSync(path.join(root, "checks", "launch.mjs"))) {
    return { skipped: "checks/launch.mjs does not exist yet, so there is no `npm run check` to time" };
  }
  const all = loadLessons(root).lessons;
  const lessons = only ? all.filter((lesson) => only.includes(lesson.id)) : all;
  if (lessons.length === 0) return { skipped: "no lesson to time" };
  const restore = preserve(root, [
    ".workbook/state.json",
    ...all.flatMap((lesson) => lesson.files.map((file) => stubPath(lesson, file))),
  ]);
  try {
    const env = { ...process.env, NO_COLOR: "1" };
    // One untimed round first: the bundle is built if it is stale, and no lesson pays for a cold disk cache.
    const first = lessons[0]!;
    timed(root, NPX, ["vitest", "run", "--mode", "stub", ...first.tests.map((t) => path.join(first.dir, t))], env);
    timed(root, NPM, ["run", "--silent", "check", first.id], env);

    const commands = commandTimings(root, first, runs);
    log(`commands: ${commands.map((c) => `${c.command} ${c.medianMs} ms`).join(", ")}`);

    const timings: LessonTiming[] = [];
    for (const lesson of lessons) {
      const tests = lesson.tests.map((t) => path.join(lesson.dir, t));
      const check: number[] = [];
      const vitest: number[] = [];
      for (let i = 0; i < runs; i += 1) {
        check.push(timed(root, NPM, ["run", "--silent", "check", lesson.id], env));
        vitest.push(timed(root, NPX, ["vitest", "run", "--mode", "stub", ...tests], env));
      }
      const [checkMs, vitestMs] = [median(check), median(vitest)];
      const timing = {
        lesson: lesson.id,
        checkMs: Math.round(checkMs),
        vitestMs: Math.round(vitestMs),
        ratio: round(checkMs / vitestMs, 2),
      };
      timings.push(timing);
      log(`${lesson.id}: check ${timing.checkMs} ms, vitest ${timing.vitestMs} ms, ratio ${timing.ratio}`);
    }

    const watch = await watchTimings(root, lessons, saves, pauseMs, log);
    return { runs, saves, pauseMs, lessons: timings, watch, commands };
  } finally {
    restore();
  }
}
