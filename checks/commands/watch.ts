import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { ParsedArgs } from "../lib/args.ts";
import { type CheckResult, checkLesson, lessonFiles, recordCheck } from "../lib/check-lesson.ts";
import type { Context } from "../lib/context.ts";
import { type FileWatcher, type WatchMode, isWslWindowsDrive, watchFiles } from "../lib/file-watcher.ts";
import { type Lesson, lessonLabel, lessonsFor } from "../lib/lessons.ts";
import { type RunResult, takeTestHost, watchPool } from "../lib/run-tests.ts";
import { currentLesson, readState, updateState } from "../lib/state.ts";
import { UserError } from "../lib/user-error.ts";
import { renderTests, renderVerdict } from "../lib/render-check.ts";
import { hintLines, takeHint } from "./hint.ts";
import { progressLines } from "./progress.ts";

// npm start: the workbook. Checks the current lesson, re-checks on every save of its files, moves
// on when it passes; h shows the next hint, l the lesson list, q quits. One test host stays up
// the whole session, so a re-run costs only the test run itself.

export type WatchEvent =
  | { type: "tests"; lesson: Lesson; run: RunResult }
  | { type: "verdict"; lesson: Lesson; result: CheckResult }
  | { type: "advanced"; from: Lesson; to: Lesson }
  | { type: "watching"; lesson: Lesson; mode: WatchMode };

export interface WatchOptions {
  poll: boolean;
  /** Replaces the real check (tests of the watcher itself). */
  check?: (lesson: Lesson, changed: string[], onTests: (run: RunResult) => void) => Promise<CheckResult>;
  onEvent?: (event: WatchEvent) => void;
  debounceMs?: number;
  pollIntervalMs?: number;
  /** Whether Ctrl-C (SIGINT) ends the session; the CLI says yes, tests say no. */
  handleSignals?: boolean;
}

export interface WatchSession {
  /** Resolves with the exit code when the session ends. */
  done: Promise<number>;
  stop(): void;
}

export async function watch(ctx: Context, args: ParsedArgs): Promise<number> {
  const poll = args.flags.has("poll") || ctx.env.WORKBOOK_POLL === "1";
  return startWatch(ctx, { poll, handleSignals: true }).done;
}

export function startWatch(ctx: Context, options: WatchOptions): WatchSession {
  const { out } = ctx;
  const warn = (line: string) => out.warn(line);
  const { lessons } = lessonsFor(ctx);
  let lesson = currentLesson(lessons, readState(ctx.root, warn));
  const host = options.check ? undefined : takeTestHost(ctx.root, "stub", { env: ctx.env, pool: watchPool });
  const check = options.check ?? ((l: Lesson, changed: string[], onTests: (run: RunResult) => void) => checkLesson(ctx.root, l, { host: host!, changed, onTests }));
  const poll = options.poll || isWslWindowsDrive(ctx.root);
  const debounceMs = options.debounceMs ?? 50;

  let watcher: FileWatcher | undefined;
  let fingerprints = new Map<string, string>();
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  let stopped = false;
  let banner: string[] = [];
  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));

  const absoluteFiles = () => lessonFiles(lesson).map((file) => path.join(ctx.root, file));

  const startWatching = () => {
    watcher?.close();
    fingerprints = new Map(absoluteFiles().map((file) => [file, fingerprint(file)]));
    watcher = watchFiles(absoluteFiles(), onFileEvent, {
      poll,
      intervalMs: options.pollIntervalMs,
      onFallback: (reason) => warn(`file events do not work here (${reason}); watching by polling instead.`),
    });
    options.onEvent?.({ type: "watching", lesson, mode: watcher.mode });
  };

  // Only a real change of content counts: editors touch files, and save in several steps.
  function onFileEvent(file: string) {
    const print = fingerprint(file);
    if (print === fingerprints.get(file)) return;
    fingerprints.set(file, print);
    changed.add(file);
    clearTimeout(timer);
    timer = setTimeout(trigger, debounceMs);
  }

  function trigger() {
    runChecks().catch((error: unknown) => {
      out.error(`The watcher failed: ${error instanceof Error ? error.message : String(error)}. Run with WORKBOOK_DEBUG=1 for details.`);
      if (ctx.env.WORKBOOK_DEBUG && error instanceof Error) out.error(error.stack ?? "");
      stop(70);
    });
  }

  async function runChecks(): Promise<void> {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        const files = [...changed];
        changed.clear();
        await checkOnce(files);
      } while (again && !stopped);
    } finally {
      running = false;
    }
  }

  // The test results are printed the moment they are in; the type-check's verdict follows.
  const printTests = (run: Pick<CheckResult, "tests" | "fileErrors">) => {
    if (out.isTTY) out.line("\u001b[2J\u001b[3J\u001b[H");
    for (const line of [...banner, ...renderTests(lesson, run, out.c)]) out.line(line);
    banner = [];
  };

  async function checkOnce(files: string[]): Promise<void> {
    let result: CheckResult;
    let testsShown = false;
    try {
      result = await check(lesson, files, (run) => {
        if (stopped) return;
        printTests(run);
        testsShown = true;
        options.onEvent?.({ type: "tests", lesson, run });
      });
    } catch (error) {
      if (stopped) return;
      if (!(error instanceof UserError)) throw error;
      out.line(out.c.red(error.message));
      return;
    }
    if (stopped) return;
    if (!testsShown) printTests(result);
    let advancedTo: Lesson | undefined;
    const state = updateState(ctx.root, warn, (s) => {
      advancedTo = recordCheck(s, lessons, result, ctx.now());
    });
    for (const line of renderVerdict(ctx.root, result, lessons, state, out.c)) out.line(line);
    options.onEvent?.({ type: "verdict", lesson, result });
    if (result.passed && advancedTo) {
      banner = [out.c.green.bold(`${lessonLabel(lesson)} passed! On to ${lessonLabel(advancedTo)}: ${advancedTo.title}. Read ${advancedTo.dir}/README.md`), ""];
      options.onEvent?.({ type: "advanced", from: lesson, to: advancedTo });
      lesson = advancedTo;
      startWatching();
      again = true;
      return;
    }
    if (result.passed && !lessons.some((l) => l.id !== lesson.id && !state.lessons[l.id]?.passed)) {
      out.line(out.c.green.bold(`All ${lessons.length} lessons pass. Well done! npm run report shows your summary.`));
      stop();
      return;
    }
    footer();
  }

  const footer = () => out.line(out.c.dim(`Watching ${lesson.dir}/ · save a file to re-run · h hint · l lessons · q quit`));
  const onKey = (data: Buffer | string) => {
    for (const key of String(data)) {
      if (key === "q" || key === "\u0003" || key === "\u0004") return stop();
      if (key === "h") for (const line of hintLines(ctx, lesson, takeHint(ctx, lesson), { watching: true })) out.line(line);
      if (key === "l") for (const line of progressLines(ctx, lessons, readState(ctx.root, warn), { watching: true })) out.line(line);
      if (key === "h" || key === "l") footer();
    }
  };
  const onSignal = () => stop();
  const raw = ctx.stdin.isTTY === true && typeof ctx.stdin.setRawMode === "function";

  function stop(code = 0) {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    watcher?.close();
    host?.close();
    ctx.stdin.off("data", onKey);
    if (raw) ctx.stdin.setRawMode!(false);
    ctx.stdin.pause();
    if (options.handleSignals) process.off("SIGINT", onSignal);
    finish(code);
  }

  out.line(out.c.dim(`Checking ${lessonLabel(lesson)}…`));
  if (raw) ctx.stdin.setRawMode!(true);
  ctx.stdin.setEncoding?.("utf8");
  ctx.stdin.on("data", onKey);
  ctx.stdin.resume();
  if (options.handleSignals) process.on("SIGINT", onSignal);
  startWatching();
  trigger();
  return { done, stop: () => stop() };
}

function fingerprint(file: string): string {
  if (!existsSync(file)) return "missing";
  return createHash("sha1").update(readFileSync(file)).digest("hex");
}
