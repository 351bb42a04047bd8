import { statSync, unwatchFile, watchFile } from "node:fs";
import path from "node:path";
import type { CheckResult } from "../check/check-lesson.ts";
import { firstFailingTest, firstProblem, problemLocation } from "../check/first-problem.ts";
import type { SourceLocation } from "../runner/run-tests.ts";
import { holdsReference } from "./copied.ts";
import { type Lesson, type LessonProblem, loadLessons, requireLessons, resolveLesson, stubPath } from "./lessons.ts";
import { type LessonStatus, deriveStatus, isDone } from "./lesson-status.ts";
import {
  type LessonState,
  type WorkbookState,
  emptyLessonState,
  readStateText,
  stateFile,
  writeState,
} from "./state-file.ts";

// The one model of the learner's workbook, as rustlings' AppState is: the lessons and
// .workbook/state.json. It alone reads and writes that file; every change goes through one of its
// methods, made to the state as it is on disk at that moment, so another terminal's change is
// never lost. It owns every rule about lessons (the current lesson, progress, hints, what a check,
// a solve or a reset changes, "all done") and derives each lesson's status for every view. After
// every change it tells its status listeners (a trainer's room) how the lesson stands.

/** Why a check ran: it decides whether the lesson counts as worked on, and the event a room hears. */
export type CheckTrigger =
  /** npm run check: the learner asked; a passing current lesson hands over to the next one. */
  | "check"
  /** watch mode, after a save or r: the learner is working on this lesson. */
  | "save"
  /** watch mode showing a lesson it arrived at (start, n, p, l): not work on it yet. */
  | "open"
  /** report --fresh re-running every lesson: records counts, starts nothing, moves nothing. */
  | "fresh";

export type StatusEventKind = "check" | "watch" | "solve" | "reset" | "hint";

/** What a trainer's room hears after every change: the lesson's derived status, and why. */
export type LessonStatusEvent = LessonStatus & {
  event: StatusEventKind;
  lesson: string;
  at: string;
  /**
   * When one of the lesson's files was last saved, by this machine's clock (its newest modification
   * time), whichever way the learner works (watch mode or npm run check): the room tells a learner
   * who stopped saving while failing. Null when no file can be read.
   */
  savedAt: string | null;
};
export type StatusListener = (status: LessonStatusEvent) => void;

/** A change another terminal made to the state; `movedTo` when it made another lesson current. */
type ExternalChange = { movedTo?: Lesson };

export type HintTaken = { number: number; of: number; text: string } | { exhausted: true; of: number };

/** What renderers get: the workbook as it stands, and no way to change it. */
export interface WorkbookView {
  readonly lessons: readonly Lesson[];
  readonly current: Lesson;
  /** Lessons passed, by the learner or by the reference. */
  readonly done: number;
  readonly allDone: boolean;
  status(lesson: Lesson): LessonStatus;
  /** The next lesson not done after `lesson`, else the first one not done. */
  following(lesson: Lesson): Lesson | undefined;
  /** The lesson `step` places away in the list, if there is one. */
  neighbor(lesson: Lesson, step: 1 | -1): Lesson | undefined;
}

interface WorkbookOptions {
  warn?: (line: string) => void;
  now?: () => Date;
}

export class Workbook {
  readonly lessons: Lesson[];
  readonly problems: LessonProblem[];
  #state: WorkbookState;
  /** The state file's text as last read or written here: anything else on disk came from elsewhere. */
  #text: string;
  readonly #listeners = new Set<StatusListener>();
  readonly #changeListeners = new Set<(change: ExternalChange) => void>();
  readonly #warn: (line: string) => void;
  readonly #now: () => Date;

  private constructor(
    readonly root: string,
    catalog: { lessons: Lesson[]; problems: LessonProblem[] },
    options: WorkbookOptions,
  ) {
    this.lessons = catalog.lessons;
    this.problems = catalog.problems;
    this.#warn = options.warn ?? (() => {});
    this.#now = options.now ?? (() => new Date());
    ({ state: this.#state, text: this.#text } = readStateText(root, this.#warn));
  }

  /** Loads the lessons (each folder that is not a valid lesson is one warning) and the state. */
  static open(root: string, options: WorkbookOptions = {}): Workbook {
    const catalog = loadLessons(root);
    for (const problem of catalog.problems) options.warn?.(`skipping ${problem.dir}: ${problem.message}`);
    return new Workbook(root, { lessons: requireLessons(catalog), problems: catalog.problems }, options);
  }

  /** The lesson named ("lesson-6", "6", "rate-limiter"), else the current one. */
  lesson(named?: string): Lesson {
    return named ? resolveLesson(this.lessons, named) : this.#current();
  }

  status(lesson: Lesson): LessonStatus {
    return deriveStatus(this.#state.lessons[lesson.id], this.#now());
  }

  /** Where the last check of a lesson that does not pass found its first problem; none when unknown. */
  lastProblemAt(lesson: Lesson): SourceLocation | undefined {
    const at = this.#state.lessons[lesson.id]?.failingAt;
    return at && { ...at };
  }

  /** The workbook as it stands now, for renderers. */
  view(): WorkbookView {
    const statuses = new Map(this.lessons.map((lesson) => [lesson.id, this.status(lesson)]));
    return workbookView(this.lessons, this.#current(), statuses);
  }

  /** Makes `lesson` the current one (npm start lesson-6, or n/p/l in watch mode). */
  select(lesson: Lesson): void {
    this.#change(() => {
      this.#state.current = lesson.id;
    });
  }

  /**
   * Records a check. Every trigger records the counts; "check" and "save" count as work on the
   * lesson (its minutes start). Except for "fresh", a failing lesson becomes current, and a passing
   * current lesson hands over to the next one, which is returned (watch mode stays until n, but a
   * later `npm start` opens the next lesson).
   */
  record(result: CheckResult, trigger: CheckTrigger): Lesson | undefined {
    let advancedTo: Lesson | undefined;
    this.#change(() => {
      const wasCurrent = this.#current().id === result.lesson.id;
      const entry = this.#entry(result.lesson, trigger === "check" || trigger === "save");
      recordResult(entry, result, this.#now());
      entry.solved = holdsReference(this.root, result.lesson);
      if (trigger === "fresh" || trigger === "open") return;
      if (!result.passed) this.#state.current = result.lesson.id;
      else if (wasCurrent) {
        advancedTo = this.view().following(result.lesson);
        if (advancedTo) this.#state.current = advancedTo.id;
      }
    });
    if (trigger !== "fresh") this.#emit(trigger === "check" ? "check" : "watch", result.lesson);
    return advancedTo;
  }

  /** The lesson's next hint, counted; once all are seen, says so without counting. */
  takeHint(lesson: Lesson): HintTaken {
    this.reload();
    const used = this.#state.lessons[lesson.id]?.hintsUsed ?? 0;
    if (used >= lesson.hints.length) return { exhausted: true, of: lesson.hints.length };
    this.#change(() => {
      this.#entry(lesson, true).hintsUsed = used + 1;
    });
    this.#emit("hint", lesson);
    return { number: used + 1, of: lesson.hints.length, text: lesson.hints[used]! };
  }

  /**
   * Records reference solutions copied in, with their test counts where known (the reference
   * passes every test: npm run verify proves it). The current lesson moves past them when it was
   * one of them, or always with `through` (catching up); returns the current lesson afterwards.
   */
  markSolved(lessons: Lesson[], options: { through?: boolean; totals?: ReadonlyMap<string, number> } = {}): Lesson {
    this.#change(() => {
      const wasCurrent = lessons.some((lesson) => lesson.id === this.#current().id);
      for (const lesson of lessons) {
        const entry = this.#entry(lesson, false);
        if (!entry.passed) entry.passedAt = this.#now().toISOString();
        // Its count comes from counting (or an earlier run), its passing from verify: not from a run.
        Object.assign(entry, { passed: true, solved: true, testsCounted: true });
        delete entry.failingTest;
        delete entry.diagnosis;
        delete entry.failingAt;
        const total = options.totals?.get(lesson.id);
        if (total) entry.testsTotal = total;
      }
      const following = this.view().following(lessons[lessons.length - 1]!);
      if ((options.through || wasCurrent) && following) this.#state.current = following.id;
    });
    for (const lesson of lessons) this.#emit("solve", lesson);
    return this.#current();
  }

  /** Records lessons whose tests were counted (not run): solved lessons whose count was unknown. */
  recordCounts(totals: ReadonlyMap<string, number>): void {
    this.#change(() => {
      for (const [id, total] of totals) {
        const entry = this.#state.lessons[id];
        if (entry?.solved && total > 0) Object.assign(entry, { testsTotal: total, testsCounted: true });
      }
    });
  }

  /** Records a lesson's stub restored: it no longer passes, and no longer holds the reference. */
  markReset(lesson: Lesson): void {
    this.#change(() => {
      const entry = this.#entry(lesson, false);
      Object.assign(entry, { passed: false, testsPassing: 0, solved: false, testsCounted: false });
      delete entry.passedAt;
      delete entry.failingTest;
      delete entry.diagnosis;
      delete entry.failingAt;
    });
    this.#emit("reset", lesson);
  }

  /**
   * Re-reads the state when another terminal changed it; true when it had changed. Listeners of
   * watch() hear of it (once the change at hand is done), with the lesson it made current, if any.
   */
  reload(): boolean {
    const { state, text } = readStateText(this.root, this.#warn);
    if (text === this.#text) return false;
    const before = this.#state.current;
    this.#state = state;
    this.#text = text;
    const movedTo =
      state.current !== before && state.current ? this.lessons.find((l) => l.id === state.current) : undefined;
    if (this.#changeListeners.size > 0)
      setImmediate(() => {
        for (const listener of this.#changeListeners) listener(movedTo ? { movedTo } : {});
      });
    return true;
  }

  /**
   * Looks at the state file every `intervalMs` for a change another terminal made (solve, reset, a
   * check) and tells `onChange` of every such change, however it was noticed (a change made here
   * first re-reads the file too); returns the way to stop looking.
   */
  watch(onChange: (change: ExternalChange) => void, intervalMs = 500): () => void {
    const file = path.join(this.root, stateFile);
    const poll = () => void this.reload();
    this.#changeListeners.add(onChange);
    watchFile(file, { interval: intervalMs }, poll);
    return () => {
      this.#changeListeners.delete(onChange);
      unwatchFile(file, poll);
    };
  }

  /** Listens for the status after every change; returns the way to stop listening. */
  onStatus(listener: StatusListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #current(): Lesson {
    const done = (lesson: Lesson) => isDone(this.status(lesson));
    return (
      this.lessons.find((lesson) => lesson.id === this.#state.current) ??
      this.lessons.find((lesson) => !done(lesson)) ??
      this.lessons[this.lessons.length - 1]!
    );
  }

  /** The lesson's state, created when missing; `worked` starts its minutes if they have not started. */
  #entry(lesson: Lesson, worked: boolean): LessonState {
    const entry = (this.#state.lessons[lesson.id] ??= emptyLessonState());
    if (worked) entry.startedAt ??= this.#now().toISOString();
    return entry;
  }

  /** One change, made to the state as it is on disk now, then written. */
  #change(edit: () => void): void {
    this.reload();
    edit();
    try {
      this.#text = writeState(this.root, this.#state, this.#warn);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      this.#warn(`progress could not be saved to .workbook/state.json (${code}); your lesson files are untouched.`);
    }
  }

  #emit(event: StatusEventKind, lesson: Lesson): void {
    if (this.#listeners.size === 0) return;
    const status: LessonStatusEvent = {
      event,
      lesson: lesson.id,
      at: this.#now().toISOString(),
      savedAt: lastSaved(this.root, lesson),
      ...this.status(lesson),
    };
    // A listener's failure (a room that is down) is never the learner's problem.
    for (const listener of this.#listeners) {
      try {
        listener(status);
      } catch {
        // Ignored on purpose: see above.
      }
    }
  }
}

/** When one of the lesson's files was last written, by this machine's clock; null when none can be read. */
function lastSaved(root: string, lesson: Lesson): string | null {
  let newest = 0;
  for (const file of lesson.files) {
    try {
      newest = Math.max(newest, statSync(path.join(root, stubPath(lesson, file))).mtimeMs);
    } catch {
      // A missing file was not saved: the others tell.
    }
  }
  return newest > 0 ? new Date(newest).toISOString() : null;
}

/** The counts of a check, and when the lesson passed; a run that could not count keeps the last total. */
function recordResult(entry: LessonState, result: CheckResult, now: Date): void {
  if (result.passed && !entry.passed) entry.passedAt = now.toISOString();
  if (!result.passed) delete entry.passedAt;
  entry.passed = result.passed;
  entry.testsPassing = result.passing;
  // A file that cannot load, or a run stopped early, has no tests to count; the last count is
  // still the lesson's size.
  if (result.total > 0 || (result.fileErrors.length === 0 && !result.aborted)) {
    entry.testsTotal = result.total;
    entry.testsCounted = false;
  }
  entry.checkedAt = now.toISOString();
  const problem = firstProblem(result);
  const failing = problem?.kind === "test" ? problem.test : firstFailingTest(result.lesson, result.tests);
  // Tests counted rather than run have no names: the failing test recorded before still stands.
  if (result.passed || !failing) delete entry.failingTest;
  else if (failing.fullName) entry.failingTest = failing.fullName;
  // Only this check's failure is diagnosed: one that looks like no known mistake clears the last.
  if (result.diagnosis) entry.diagnosis = { mistake: result.diagnosis.mistake, title: result.diagnosis.title };
  else delete entry.diagnosis;
  const at = problemLocation(result);
  if (at) entry.failingAt = { ...at, line: Math.max(1, at.line) };
  else delete entry.failingAt;
}

/** A read-only view of lessons and their statuses (a lesson without one has never been touched). */
export function workbookView(
  lessons: readonly Lesson[],
  current: Lesson,
  statuses: ReadonlyMap<string, LessonStatus>,
): WorkbookView {
  const untouched = deriveStatus(undefined, new Date(0));
  const status = (lesson: Lesson) => statuses.get(lesson.id) ?? untouched;
  const done = lessons.filter((lesson) => isDone(status(lesson))).length;
  const list = [...lessons];
  return Object.freeze({
    lessons: list,
    current,
    done,
    allDone: done === list.length,
    status,
    following: (lesson: Lesson) => followingLesson(list, lesson, (l) => isDone(status(l))),
    neighbor: (lesson: Lesson, step: 1 | -1) => list[list.findIndex((l) => l.id === lesson.id) + step],
  });
}

/** The lesson after `lesson` that is not done, else the first one not done at all. */
function followingLesson(
  lessons: readonly Lesson[],
  lesson: Lesson,
  done: (lesson: Lesson) => boolean,
): Lesson | undefined {
  const index = lessons.findIndex((l) => l.id === lesson.id);
  const open = (l: Lesson) => l.id !== lesson.id && !done(l);
  return lessons.slice(index + 1).find(open) ?? lessons.slice(0, index).find(open);
}
