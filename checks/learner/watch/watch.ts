import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { ParsedArgs } from "../cli/args.ts";
import { type Context, openTestHost, openWorkbook } from "../cli/context.ts";
import { UserError } from "../cli/user-error.ts";
import { type CheckResult, checkLesson, lessonFiles, missingRequirements } from "../check/check-lesson.ts";
import { editLocation } from "../check/first-problem.ts";
import { type EditorCommand, chooseEditor } from "../editor/editor-command.ts";
import { type EditorOutcome, runEditor } from "../editor/launch-editor.ts";
import { editorFailedLine, needsTerminalLine, noEditorLine, openingLine } from "../render/editor-lines.ts";
import { renderVerdict } from "../render/check-screen.ts";
import { hintLines } from "../render/hints.ts";
import { lessonListLines } from "../render/progress.ts";
import { missingRequirementsLine } from "../render/requirements.ts";
import {
  allDoneLine,
  couldNotRunLine,
  edgeLine,
  followedLine,
  passedBanner,
  pickedUnknownLine,
  rerunningLine,
  rewrittenLine,
  switchedLine,
} from "../render/watch-lines.ts";
import type { RunResult, SourceLocation, TestHost } from "../runner/run-tests.ts";
import { sameCode } from "../workbook/copied.ts";
import { committedFile } from "../workbook/git.ts";
import type { Lesson } from "../workbook/lessons.ts";
import type { CheckTrigger, Workbook } from "../workbook/workbook.ts";
import { type FileWatcher, type WatchMode, isWslWindowsDrive, watchFiles } from "./file-watcher.ts";
import { watchNotes } from "../room/notes.ts";
import type { LearnerNote } from "../room/protocol.ts";
import { type KeyAction, actionOf } from "./keys.ts";
import { type Screen, ScreenWriter, emptyScreen } from "./screen.ts";

// npm start [lesson]: the workbook. One event loop, as rustlings' watch mode is: every input (a
// save, a key, the state file changed by another terminal, a run's tests or verdict, a note from
// the trainer's room) is handled in one place, changes the screen's data, and one render() draws
// it. One supervised test host stays up the whole session, so a re-run costs only the test run
// itself, and learner code that loops or eats memory costs one message, never the session. Every
// run re-reads every file of the lesson from disk, whoever changed it.

export type WatchEvent =
  | { type: "watching"; lesson: Lesson; mode: WatchMode }
  | { type: "rerunning"; lesson: Lesson }
  | { type: "switched"; from: Lesson; to: Lesson; reason: "save" | "key" | "state" }
  | { type: "tests"; lesson: Lesson; run: RunResult }
  | { type: "verdict"; lesson: Lesson; result: CheckResult }
  | { type: "passed"; lesson: Lesson; next?: Lesson }
  | { type: "edited"; editor: string; outcome: EditorOutcome }
  /** The trainer's notes on screen changed: new ones arrived, or the learner dismissed them. */
  | { type: "notes"; notes: LearnerNote[] };

type CheckFunction = (lesson: Lesson, changed: string[], onTests: (run: RunResult) => void) => Promise<CheckResult>;

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
  /** How often the room is asked for the trainer's notes, in a room (ms). */
  notesIntervalMs?: number;
}

export interface WatchSession {
  /** Resolves with the exit code when the session ends. */
  done: Promise<number>;
  stop(): void;
}

type Input =
  | { type: "save"; file: string }
  | { type: "key"; key: string }
  | { type: "state"; movedTo?: Lesson }
  | { type: "tests"; lesson: Lesson; run: RunResult }
  | { type: "verdict"; lesson: Lesson; result: CheckResult }
  | { type: "failed"; lesson: Lesson; error: unknown }
  | { type: "missing"; lesson: Lesson; missing: string[] }
  | { type: "edited"; editor: EditorCommand; location: SourceLocation; outcome: EditorOutcome }
  | { type: "notes"; notes: LearnerNote[] };

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
  readonly #host: TestHost | undefined;
  readonly #check: CheckFunction;
  readonly #writer: ScreenWriter;
  #lesson: Lesson;
  #screen: Screen;
  /** Files saved since the last run started, and why the next run runs. */
  readonly #saved = new Set<string>();
  #trigger: CheckTrigger = "open";
  #running = false;
  #again = false;
  /** The running check has shown its tests already: its verdict completes the same screen. */
  #testsShown = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Digits typed after l, until Enter. */
  #picking: string | undefined;
  #watcher: FileWatcher | undefined;
  #unwatchState: (() => void) | undefined;
  /** Every lesson file's content hash, so only a real change of content counts as a save. */
  readonly #fingerprints = new Map<string, string>();
  readonly #owner = new Map<string, Lesson>();
  readonly #committed = new Map<string, string | undefined>();
  /** The current lesson's latest verdict: where e opens the editor. */
  #last: CheckResult | undefined;
  /** A terminal editor has the terminal: nothing is drawn and no key is read until it exits. */
  #editing = false;
  /** The session ended (every lesson passed) while the editor had the terminal: end once it is back. */
  #stopWhenEdited = false;
  /** The trainer's notes on screen, until the learner dismisses them with d. */
  #notes: LearnerNote[] = [];
  /** Notes dismissed here: kept off screen even while the room has not heard of it yet. */
  readonly #dismissedNotes = new Set<string>();
  #stopNotes: (() => void) | undefined;

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
      ((lesson, saved, onTests) =>
        checkLesson(ctx.root, lesson, {
          host: this.#host!,
          changed: [...saved, ...lessonFiles(lesson)],
          // A save re-runs the test files it may concern; r, or opening a lesson, all of them.
          keepUnaffected: saved.length > 0,
          onTests,
        }));
    this.#writer = new ScreenWriter(ctx.out);
    this.#screen = emptyScreen(this.#lesson, 0);
  }

  start(): void {
    const { stdin } = this.ctx;
    if (stdin.isTTY && stdin.setRawMode) stdin.setRawMode(true);
    stdin.setEncoding?.("utf8");
    stdin.on("data", this.#onData);
    stdin.resume();
    if (this.options.handleSignals) process.on("SIGINT", this.#onSignal);
    this.#watchLessons();
    this.#unwatchState = this.#workbook.watch(
      (change) => this.#handle({ type: "state", ...change }),
      this.options.stateIntervalMs,
    );
    const { room } = this.ctx;
    if (room) {
      const onNotes = (notes: LearnerNote[]) => this.#handle({ type: "notes", notes });
      this.#stopNotes = watchNotes(room, onNotes, { intervalMs: this.options.notesIntervalMs });
    }
    this.#render();
    this.#requestRun("open");
  }

  stop(code = 0): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#watcher?.close();
    this.#unwatchState?.();
    this.#stopNotes?.();
    this.#host?.close();
    const { stdin } = this.ctx;
    stdin.off("data", this.#onData);
    if (stdin.isTTY && stdin.setRawMode) stdin.setRawMode(false);
    stdin.pause();
    if (this.options.handleSignals) process.off("SIGINT", this.#onSignal);
    this.#finish(code);
  }

  /** The one place every input is handled. */
  #handle(input: Input): void {
    if (this.#stopped) return;
    switch (input.type) {
      case "save":
        this.#onSave(input.file);
        return;
      case "key":
        this.#onKey(input.key);
        return;
      case "state":
        this.#onStateChange(input.movedTo);
        return;
      case "tests":
        if (input.lesson.id !== this.#lesson.id) return;
        this.#testsShown = true;
        this.#screen = this.#newRunScreen(input.run);
        this.#render();
        this.#emit({ type: "tests", lesson: input.lesson, run: input.run });
        return;
      case "verdict":
        this.#onVerdict(input.lesson, input.result);
        return;
      case "failed":
        this.#onFailed(input.lesson, input.error);
        return;
      case "edited":
        this.#onEdited(input.editor, input.location, input.outcome);
        return;
      case "missing":
        if (input.lesson.id !== this.#lesson.id) return;
        this.#screen.panel = [missingRequirementsLine(input.lesson, input.missing)];
        this.#screen.last = undefined;
        this.#render();
        return;
      case "notes":
        this.#onNotes(input.notes);
        return;
    }
  }

  #render(): void {
    if (!this.#editing) this.#writer.render({ ...this.#screen, notes: this.#notes });
  }

  /** A new run's screen: its tests, the notices kept, "re-running" kept only while another run waits. */
  #newRunScreen(tests: Screen["tests"]): Screen {
    const screen = this.#screen;
    const last = this.#again ? screen.last : undefined;
    return { ...screen, generation: screen.generation + 1, tests, verdict: [], panel: [], last };
  }

  #notice(line: string): void {
    // The latest few: a burst of resets in another terminal must not push the lesson off screen.
    this.#screen.notices = [...this.#screen.notices, line].slice(-3);
  }

  #emit(event: WatchEvent): void {
    this.options.onEvent?.(event);
  }

  get #c() {
    return this.ctx.out.c;
  }

  readonly #onData = (data: Buffer | string): void => {
    for (const key of String(data)) this.#handle({ type: "key", key });
  };

  // Ctrl-C inside a terminal editor is the editor's.
  readonly #onSignal = (): void => {
    if (!this.#editing) this.stop();
  };

  // Saves ------------------------------------------------------------------------------------

  /** Watches every lesson's files, so that saving another lesson's file switches to it. */
  #watchLessons(): void {
    for (const lesson of this.#workbook.lessons) {
      for (const file of lessonFiles(lesson).map((f) => path.join(this.ctx.root, f))) {
        this.#owner.set(file, lesson);
        this.#fingerprints.set(file, fingerprint(file));
      }
    }
    this.#watcher = watchFiles([...this.#owner.keys()], (file) => this.#handle({ type: "save", file }), {
      poll: this.options.poll || isWslWindowsDrive(this.ctx.root),
      intervalMs: this.options.pollIntervalMs,
      onFallback: (reason) =>
        this.ctx.out.warn(`file events do not work here (${reason}); watching by polling instead.`),
    });
    this.#emit({ type: "watching", lesson: this.#lesson, mode: this.#watcher.mode });
  }

  #onSave(file: string): void {
    const print = fingerprint(file);
    if (print === this.#fingerprints.get(file)) return;
    this.#fingerprints.set(file, print);
    const owner = this.#owner.get(file)!;
    const relative = path.relative(this.ctx.root, file).split(path.sep).join("/");
    const rewritten = this.#rewrittenTo(owner, relative);
    const notice = rewritten && rewrittenLine(relative, rewritten, this.#c);
    if (owner.id !== this.#lesson.id) {
      // A reset or a solve of another lesson is news, not the learner moving to that lesson.
      if (!notice) {
        this.#switchTo(owner, "save", switchedLine(owner, relative, this.#c));
        return;
      }
      this.#notice(notice);
      this.#render();
      return;
    }
    if (notice) this.#notice(notice);
    this.#saved.add(file);
    // Said at once, so the verdict on screen is never taken for the answer to this save.
    this.#screen.last = rerunningLine(this.#lesson, [...this.#saved], this.#c);
    this.#render();
    this.#emit({ type: "rerunning", lesson: this.#lesson });
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#requestRun("save"), this.options.debounceMs ?? saveSettleMs);
  }

  /** "stub" or "reference" when a lesson file now holds exactly that, else undefined (the learner's own). */
  #rewrittenTo(lesson: Lesson, file: string): "stub" | "reference" | undefined {
    let content: string;
    try {
      content = readFileSync(path.join(this.ctx.root, file), "utf8");
    } catch {
      return undefined;
    }
    if (!this.#committed.has(file)) {
      const committed = committedFile(this.ctx.root, file);
      this.#committed.set(file, committed.found ? committed.content.toString("utf8") : undefined);
    }
    if (content === this.#committed.get(file)) return "stub";
    const reference = lesson.files.find((f) => `${lesson.dir}/${f.stub}` === file)?.reference;
    try {
      if (reference && sameCode(content, readFileSync(path.join(this.ctx.root, reference), "utf8"))) return "reference";
    } catch {
      // No reference to compare with: the learner's own.
    }
    return undefined;
  }

  // The state file, changed by another terminal (solve, reset, check) ------------------------

  #onStateChange(movedTo: Lesson | undefined): void {
    // Another terminal moved the current lesson (npm run solve --through, a failing check): follow it.
    if (movedTo && movedTo.id !== this.#lesson.id) this.#switchTo(movedTo, "state", followedLine(movedTo, this.#c));
    else this.#render();
  }

  // Keys -------------------------------------------------------------------------------------

  #onKey(key: string): void {
    if (this.#picking !== undefined && this.#pick(key)) return;
    const action = actionOf(key);
    if (action) this.#act(action);
  }

  #act(action: KeyAction): void {
    switch (action) {
      case "quit":
        this.stop();
        return;
      case "next":
      case "previous": {
        const step = action === "next" ? 1 : -1;
        const to = this.#workbook.view().neighbor(this.#lesson, step);
        if (to) {
          this.#switchTo(to, "key");
          return;
        }
        this.#showPanel([edgeLine(step)]);
        return;
      }
      case "list":
        this.#picking = "";
        this.#screen.picking = true;
        this.#showPanel(lessonListLines(this.#workbook.view(), this.#lesson, this.#c));
        return;
      case "hint": {
        const taken = this.#workbook.takeHint(this.#lesson);
        this.#showPanel(hintLines(this.#lesson, taken, this.#c, { watching: true, width: this.ctx.out.columns }));
        return;
      }
      case "edit":
        this.#edit();
        return;
      case "dismiss":
        this.#dismissNotes();
        return;
      case "rerun":
        // All of the lesson's test files: r is for a run that owes nothing to the last one.
        this.#saved.clear();
        this.#screen.last = rerunningLine(this.#lesson, [], this.#c);
        this.#render();
        this.#emit({ type: "rerunning", lesson: this.#lesson });
        this.#requestRun("save");
        return;
    }
  }

  #showPanel(lines: string[]): void {
    this.#screen.panel = lines;
    this.#render();
  }

  // The trainer's notes ------------------------------------------------------------------------

  #onNotes(notes: LearnerNote[]): void {
    // Dismissed here while the room was unreachable: told again, until it hears.
    for (const note of notes) if (this.#dismissedNotes.has(note.id)) void this.ctx.room?.dismiss(note.id);
    const shown = notes.filter((note) => !this.#dismissedNotes.has(note.id));
    if (shown.map((note) => note.id).join() === this.#notes.map((note) => note.id).join()) return;
    this.#notes = shown;
    this.#render();
    this.#emit({ type: "notes", notes: shown });
  }

  /** d: every note on screen is read; the room hears so, and they do not come back on the next check. */
  #dismissNotes(): void {
    if (this.#notes.length === 0) return;
    for (const note of this.#notes) {
      this.#dismissedNotes.add(note.id);
      void this.ctx.room?.dismiss(note.id);
    }
    this.#notes = [];
    this.#render();
    this.#emit({ type: "notes", notes: [] });
  }

  // The editor ---------------------------------------------------------------------------------

  /** e: the learner's editor at the first problem. A terminal editor gets the terminal until it exits. */
  #edit(): void {
    const location = editLocation(this.#lesson, this.#last);
    const editor = chooseEditor(this.ctx.root, location, this.ctx.env);
    const { stdin, out } = this.ctx;
    if (!editor || (editor.terminal && !(stdin.isTTY && out.isTTY))) {
      // No editor, or one that needs a terminal this is not: the learner gets the file and line.
      this.#showPanel([editor ? needsTerminalLine(editor, location, this.#c) : noEditorLine(location, this.#c)]);
      return;
    }
    this.#showPanel([openingLine(editor, location, this.#c)]);
    if (editor.terminal) this.#handOver();
    void runEditor(editor, this.ctx.root, this.ctx.env).then((outcome) =>
      this.#handle({ type: "edited", editor, location, outcome }),
    );
  }

  /** Leaves the terminal to an editor: keys unread, raw mode off, nothing drawn. */
  #handOver(): void {
    const { stdin } = this.ctx;
    this.#editing = true;
    stdin.off("data", this.#onData);
    if (stdin.isTTY && stdin.setRawMode) stdin.setRawMode(false);
    stdin.pause();
  }

  #onEdited(editor: EditorCommand, location: SourceLocation, outcome: EditorOutcome): void {
    if (editor.terminal) {
      // Takes the terminal back, and redraws all of it: the editor drew over the screen.
      const { stdin } = this.ctx;
      this.#editing = false;
      if (stdin.isTTY && stdin.setRawMode) stdin.setRawMode(true);
      stdin.on("data", this.#onData);
      stdin.resume();
      this.#writer.forget();
      this.#screen.panel = [];
    }
    if (!outcome.ok) this.#screen.panel = [editorFailedLine(editor, outcome, location, this.#c)];
    this.#render();
    this.#emit({ type: "edited", editor: editor.name, outcome });
    if (this.#stopWhenEdited) this.stop();
  }

  /** A key typed after l: digits build a lesson number, Enter opens it. False: not for the list. */
  #pick(key: string): boolean {
    if (/^[0-9]$/.test(key)) {
      this.#picking += key;
      return true;
    }
    const typed = this.#picking!;
    this.#picking = undefined;
    this.#screen.picking = false;
    if (key !== "\r" && key !== "\n") {
      this.#showPanel([]);
      return key === "\u001b";
    }
    const to = typed === "" ? this.#lesson : this.#workbook.lessons.find((lesson) => lesson.number === Number(typed));
    if (!to) this.#showPanel([pickedUnknownLine(typed, this.#workbook.lessons)]);
    else if (to.id === this.#lesson.id) this.#showPanel([]);
    else this.#switchTo(to, "key");
    return true;
  }

  // Lessons and runs -------------------------------------------------------------------------

  #switchTo(to: Lesson, reason: "save" | "key" | "state", notice?: string): void {
    const from = this.#lesson;
    this.#lesson = to;
    this.#last = undefined;
    this.#saved.clear();
    if (reason !== "state") this.#workbook.select(to);
    this.#screen = emptyScreen(to, this.#screen.generation + 1, notice ? [notice] : []);
    this.#render();
    this.#emit({ type: "switched", from, to, reason });
    this.#requestRun(reason === "save" ? "save" : "open");
  }

  /** Runs checks one at a time; a request during a run asks for one more run after it. */
  #requestRun(trigger: CheckTrigger): void {
    clearTimeout(this.#timer);
    if (trigger === "save") this.#trigger = "save";
    if (this.#running) {
      this.#again = true;
      return;
    }
    void this.#runUntilSettled();
  }

  async #runUntilSettled(): Promise<void> {
    this.#running = true;
    try {
      do {
        this.#again = false;
        const lesson = this.#lesson;
        const saved = [...this.#saved];
        this.#saved.clear();
        await this.#checkOnce(lesson, saved);
      } while (this.#again && !this.#stopped);
    } finally {
      this.#running = false;
    }
  }

  async #checkOnce(lesson: Lesson, saved: string[]): Promise<void> {
    const missing = missingRequirements(lesson, this.ctx.env);
    if (missing.length > 0) {
      this.#handle({ type: "missing", lesson, missing });
      return;
    }
    this.#testsShown = false;
    try {
      const result = await this.#check(lesson, saved, (run) => this.#handle({ type: "tests", lesson, run }));
      this.#handle({ type: "verdict", lesson, result });
    } catch (error) {
      this.#handle({ type: "failed", lesson, error });
    }
  }

  #onVerdict(lesson: Lesson, result: CheckResult): void {
    // Switched to another lesson meanwhile: this verdict is no longer the one on screen.
    if (lesson.id !== this.#lesson.id) return;
    const trigger = this.#trigger;
    this.#trigger = "open";
    this.#workbook.record(result, trigger);
    this.#last = result;
    const view = this.#workbook.view();
    if (!this.#testsShown) this.#screen = this.#newRunScreen(result);
    const pending = this.#again ? this.#screen.last : undefined;
    this.#screen = {
      ...this.#screen,
      verdict: renderVerdict(this.ctx.root, result, view, this.#c),
      panel: [],
      last: pending,
    };
    if (result.passed && !pending) {
      this.#screen.last = view.allDone
        ? allDoneLine(view.lessons, this.#c)
        : passedBanner(lesson, view.neighbor(lesson, 1), view.following(lesson), this.#c);
    }
    this.#render();
    this.#emit({ type: "verdict", lesson, result });
    if (!result.passed || pending) return;
    this.#emit({ type: "passed", lesson, ...(view.neighbor(lesson, 1) && { next: view.neighbor(lesson, 1) }) });
    if (!view.allDone) return;
    if (this.#editing) this.#stopWhenEdited = true;
    else this.stop();
  }

  #onFailed(lesson: Lesson, error: unknown): void {
    if (lesson.id !== this.#lesson.id) return;
    // Whatever went wrong, the session goes on: the next save or r tries again.
    const line = error instanceof UserError ? error.message : couldNotRunLine(error);
    this.#screen.panel = [this.#c.red(line)];
    this.#screen.last = undefined;
    this.#render();
    if (!(error instanceof UserError) && this.ctx.env.WORKBOOK_DEBUG && error instanceof Error)
      this.ctx.out.error(error.stack ?? "");
  }
}

/**
 * How long a save has to settle before its check starts: an editor that truncates and then
 * writes, or writes a copy and renames it, is done within a few milliseconds, and every save
 * waits this long for its verdict.
 */
const saveSettleMs = 20;

function fingerprint(file: string): string {
  try {
    return createHash("sha1").update(readFileSync(file)).digest("hex");
  } catch {
    return "missing";
  }
}
