import { createHash } from "node:crypto";
import { readFileSync, unwatchFile, watchFile } from "node:fs";
import path from "node:path";
import type { ParsedArgs } from "../cli/args.ts";
import { type CheckResult, checkLesson, lessonFiles, missingRequirements } from "../check/check-lesson.ts";
import { type Context, openTestHost, openWorkbook } from "../cli/context.ts";
import { type FileWatcher, type WatchMode, isWslWindowsDrive, watchFiles } from "./file-watcher.ts";
import type { Lesson } from "../workbook/lessons.ts";
import {
  allDoneLine,
  checkingLine,
  edgeLine,
  footerLine,
  hintLines,
  lessonListLines,
  missingRequirementsLine,
  passedBanner,
  pickedUnknownLine,
  renderLessonHeader,
  renderTests,
  renderVerdict,
  rerunningLine,
  switchedLine,
} from "../render/render-check.ts";
import type { RunResult, TestHost } from "../runner/run-tests.ts";
import { stateFile } from "../workbook/state.ts";
import { UserError } from "../cli/user-error.ts";
import type { Workbook } from "../workbook/workbook.ts";

// npm start [lesson]: the workbook. Checks a lesson, re-checks on every save of any lesson's files
// (switching to the lesson saved), and answers keys: n/p next and previous lesson, l the list,
// h a hint, r re-run, q quit. It is an event loop over the Workbook: saves, keys, the state file
// changed by another terminal, and test results. One supervised test host stays up the whole
// session, so a re-run costs only the test run itself, and learner code that loops or eats memory
// costs one message, never the session.

export type WatchEvent =
  | { type: "watching"; lesson: Lesson; mode: WatchMode }
  | { type: "rerunning"; lesson: Lesson }
  | { type: "switched"; from: Lesson; to: Lesson; reason: "save" | "key" | "state" }
  | { type: "tests"; lesson: Lesson; run: RunResult }
  | { type: "verdict"; lesson: Lesson; result: CheckResult }
  | { type: "passed"; lesson: Lesson; next?: Lesson };

export type CheckFunction = (
  lesson: Lesson,
  changed: string[],
  onTests: (run: RunResult) => void,
) => Promise<CheckResult>;

export interface WatchOptions {
  poll: boolean;
  /** The lesson to start on (npm start lesson-6); else the current one. */
  lesson?: string;
  /** Replaces the real check (tests of the loop itself). */
  check?: CheckFunction;
  onEvent?: (event: WatchEvent) => void;
  debounceMs?: number;
  pollIntervalMs?: number;
  /** How often the state file is looked at for changes made by another terminal. */
  stateIntervalMs?: number;
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
  return startWatch(ctx, { poll, lesson: args.positionals[0], handleSignals: true }).done;
}

export function startWatch(ctx: Context, options: WatchOptions): WatchSession {
  const loop = new WatchLoop(ctx, options);
  loop.start();
  return { done: loop.done, stop: () => loop.stop() };
}

class WatchLoop {
  readonly done: Promise<number>;
  #finish!: (code: number) => void;
  readonly #workbook: Workbook;
  #lesson: Lesson;
  readonly #host: TestHost | undefined;
  readonly #check: CheckFunction;
  readonly #poll: boolean;
  #watcher: FileWatcher | undefined;
  /** Every lesson file and its content's hash: only a real change of content counts as a save. */
  readonly #fingerprints = new Map<string, string>();
  readonly #owner = new Map<string, Lesson>();
  readonly #changed = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #again = false;
  #announced = false;
  #stopped = false;
  /** Digits typed after l, until Enter. */
  #picking: string | undefined;
  readonly #raw: boolean;
  #unsubscribe: (() => void) | undefined;

  constructor(
    private readonly ctx: Context,
    private readonly options: WatchOptions,
  ) {
    this.done = new Promise<number>((resolve) => (this.#finish = resolve));
    this.#workbook = openWorkbook(ctx);
    this.#lesson = this.#workbook.lesson(options.lesson);
    if (options.lesson) this.#workbook.select(this.#lesson);
    this.#host = options.check ? undefined : openTestHost(ctx);
    this.#check =
      options.check ??
      ((lesson, changed, onTests) => checkLesson(ctx.root, lesson, { host: this.#host!, changed, onTests }));
    this.#poll = options.poll || isWslWindowsDrive(ctx.root);
    this.#raw = ctx.stdin.isTTY === true && typeof ctx.stdin.setRawMode === "function";
  }

  get #out() {
    return this.ctx.out;
  }

  start(): void {
    this.#out.line(checkingLine(this.#lesson, this.#out.c));
    if (this.#raw) this.ctx.stdin.setRawMode!(true);
    this.ctx.stdin.setEncoding?.("utf8");
    this.ctx.stdin.on("data", this.#onKeys);
    this.ctx.stdin.resume();
    if (this.options.handleSignals) process.on("SIGINT", this.#onSignal);
    this.#watchLessons();
    watchFile(this.#statePath, { interval: this.options.stateIntervalMs ?? 500 }, this.#onStateFile);
    this.#unsubscribe = this.#workbook.onExternalChange(this.#onExternalChange);
    void this.#run();
  }

  stop(code = 0): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#watcher?.close();
    unwatchFile(this.#statePath, this.#onStateFile);
    this.#unsubscribe?.();
    this.#host?.close();
    this.ctx.stdin.off("data", this.#onKeys);
    if (this.#raw) this.ctx.stdin.setRawMode!(false);
    this.ctx.stdin.pause();
    if (this.options.handleSignals) process.off("SIGINT", this.#onSignal);
    this.#finish(code);
  }

  get #statePath(): string {
    return path.join(this.ctx.root, stateFile);
  }

  #emit(event: WatchEvent): void {
    this.options.onEvent?.(event);
  }

  // Saves -------------------------------------------------------------------------------------

  /** Watches every lesson's files, so that saving another lesson's file switches to it. */
  #watchLessons(): void {
    for (const lesson of this.#workbook.lessons) {
      for (const file of lessonFiles(lesson).map((f) => path.join(this.ctx.root, f))) {
        this.#owner.set(file, lesson);
        this.#fingerprints.set(file, fingerprint(file));
      }
    }
    this.#watcher = watchFiles([...this.#owner.keys()], (file) => this.#onSave(file), {
      poll: this.#poll,
      intervalMs: this.options.pollIntervalMs,
      onFallback: (reason) => this.#out.warn(`file events do not work here (${reason}); watching by polling instead.`),
    });
    this.#emit({ type: "watching", lesson: this.#lesson, mode: this.#watcher.mode });
  }

  #onSave(file: string): void {
    const print = fingerprint(file);
    if (this.#stopped || print === this.#fingerprints.get(file)) return;
    this.#fingerprints.set(file, print);
    const owner = this.#owner.get(file);
    if (owner && owner.id !== this.#lesson.id) {
      this.#switchTo(owner, "save", path.relative(this.ctx.root, file).split(path.sep).join("/"));
      return;
    }
    this.#changed.add(file);
    // Said at once, so the verdict on screen is never taken for the answer to this save.
    if (!this.#announced) {
      this.#announced = true;
      this.#out.line(rerunningLine(this.#lesson, [...this.#changed], this.#out.c));
      this.#emit({ type: "rerunning", lesson: this.#lesson });
    }
    this.#schedule();
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#run(), this.options.debounceMs ?? 50);
  }

  // The state file, changed by another terminal (solve, reset, check) ------------------------

  readonly #onStateFile = (): void => {
    if (!this.#stopped) this.#workbook.reload();
  };

  // Seen by the poll above, or by the Workbook itself just before it records something: after
  // the current event is handled, follow the other terminal to the lesson it made current.
  readonly #onExternalChange = (): void => {
    setImmediate(() => {
      const current = this.#workbook.lesson();
      if (!this.#stopped && current.id !== this.#lesson.id) this.#switchTo(current, "state");
    });
  };

  // Keys --------------------------------------------------------------------------------------

  readonly #onKeys = (data: Buffer | string): void => {
    for (const key of String(data)) {
      if (this.#stopped) return;
      if (this.#picking !== undefined && this.#pick(key)) continue;
      this.#onKey(key);
    }
  };

  #onKey(key: string): void {
    const { c } = this.#out;
    switch (key) {
      case "q":
      case "\u0003":
      case "\u0004":
        this.stop();
        return;
      case "n":
      case "p": {
        const step = key === "n" ? 1 : -1;
        const to = this.#workbook.neighbor(this.#lesson, step);
        if (to) {
          this.#switchTo(to, "key");
          return;
        }
        this.#out.line(edgeLine(step));
        this.#footer();
        return;
      }
      case "l":
        this.#picking = "";
        for (const line of lessonListLines(this.#workbook.lessons, this.#workbook.state, this.#lesson, c))
          this.#out.line(line);
        return;
      case "h": {
        const taken = this.#workbook.takeHint(this.#lesson);
        for (const line of hintLines(this.#lesson, taken, c, { watching: true, width: this.#out.columns }))
          this.#out.line(line);
        this.#footer();
        return;
      }
      case "r":
        this.#announced = true;
        this.#out.line(rerunningLine(this.#lesson, [], c));
        this.#emit({ type: "rerunning", lesson: this.#lesson });
        void this.#run();
        return;
    }
  }

  /** A key typed after l: digits build a lesson number, Enter opens it. False: not for the list. */
  #pick(key: string): boolean {
    if (/^[0-9]$/.test(key)) {
      this.#picking += key;
      return true;
    }
    if (key !== "\r" && key !== "\n") {
      this.#picking = undefined;
      return key === "\u001b";
    }
    const typed = this.#picking!;
    this.#picking = undefined;
    if (typed === "") {
      this.#footer();
      return true;
    }
    const to = this.#workbook.lessons.find((lesson) => lesson.number === Number(typed));
    if (!to) {
      this.#out.line(pickedUnknownLine(typed, this.#workbook.lessons));
      this.#footer();
    } else if (to.id === this.#lesson.id) {
      this.#footer();
    } else {
      this.#switchTo(to, "key");
    }
    return true;
  }

  readonly #onSignal = (): void => this.stop();

  // Lessons and runs --------------------------------------------------------------------------

  #switchTo(to: Lesson, reason: "save" | "key" | "state", saved?: string): void {
    const from = this.#lesson;
    this.#lesson = to;
    this.#changed.clear();
    if (reason !== "state") this.#workbook.select(to);
    this.#emit({ type: "switched", from, to, reason });
    this.#clearScreen();
    if (saved) this.#out.line(switchedLine(to, saved, this.#out.c));
    for (const line of renderLessonHeader(to, this.#out.c)) this.#out.line(line);
    this.#out.line(checkingLine(to, this.#out.c));
    void this.#run();
  }

  /** Runs checks one at a time; a save during a run asks for one more run after it. */
  async #run(): Promise<void> {
    clearTimeout(this.#timer);
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    try {
      do {
        this.#again = false;
        this.#announced = false;
        const files = [...this.#changed];
        this.#changed.clear();
        try {
          await this.#checkOnce(this.#lesson, files);
        } catch (error) {
          // Whatever went wrong, the session goes on: the next save or r tries again.
          if (this.#stopped) return;
          this.#out.line(this.#out.c.red(couldNotRunLine(error)));
          if (this.ctx.env.WORKBOOK_DEBUG && error instanceof Error) this.#out.error(error.stack ?? "");
          this.#footer();
        }
      } while (this.#again && !this.#stopped);
    } finally {
      this.#running = false;
    }
  }

  async #checkOnce(lesson: Lesson, files: string[]): Promise<void> {
    const { out } = this;
    const missing = missingRequirements(lesson, this.ctx.env);
    if (missing.length > 0) {
      out.line(missingRequirementsLine(lesson, missing));
      return this.#footer();
    }
    let result: CheckResult;
    let testsShown = false;
    const current = () => !this.#stopped && this.#lesson.id === lesson.id;
    try {
      result = await this.#check(lesson, files, (run) => {
        if (!current()) return;
        this.#printTests(lesson, run);
        testsShown = true;
        this.#emit({ type: "tests", lesson, run });
      });
    } catch (error) {
      if (!current()) return;
      if (error instanceof UserError) out.line(out.c.red(error.message));
      else out.line(out.c.red(couldNotRunLine(error)));
      if (!(error instanceof UserError) && this.ctx.env.WORKBOOK_DEBUG && error instanceof Error)
        out.error(error.stack ?? "");
      return this.#footer();
    }
    // Switched to another lesson meanwhile: this verdict is no longer the one on screen.
    if (!current()) return;
    if (!testsShown) this.#printTests(lesson, result);
    this.#workbook.record(result, { event: "watch" });
    for (const line of renderVerdict(this.ctx.root, result, this.#workbook.lessons, this.#workbook.state, out.c))
      out.line(line);
    this.#emit({ type: "verdict", lesson, result });
    if (!result.passed) return this.#footer();
    if (this.#workbook.allDone()) {
      out.line(allDoneLine(this.#workbook.lessons, out.c));
      this.#emit({ type: "passed", lesson });
      return this.stop();
    }
    // The success stays the last thing on screen: the next lesson waits for n.
    const next = this.#workbook.neighbor(lesson, 1);
    this.#footer();
    out.line(passedBanner(lesson, next, this.#workbook.following(lesson), out.c));
    this.#emit({ type: "passed", lesson, ...(next && { next }) });
  }

  get out() {
    return this.ctx.out;
  }

  #printTests(lesson: Lesson, run: Pick<CheckResult, "tests" | "fileErrors">): void {
    this.#clearScreen();
    for (const line of renderTests(lesson, run, this.#out.c)) this.#out.line(line);
  }

  // Clears the screen for the new verdict, leaving the terminal's scrollback alone.
  #clearScreen(): void {
    if (this.#out.isTTY) this.#out.write("\u001b[H\u001b[2J");
  }

  #footer(): void {
    this.#out.line(footerLine(this.#lesson, this.#out.c));
  }
}

function couldNotRunLine(error: unknown): string {
  return `The check could not run: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}. Save again to retry.`;
}

function fingerprint(file: string): string {
  try {
    return createHash("sha1").update(readFileSync(file)).digest("hex");
  } catch {
    return "missing";
  }
}
