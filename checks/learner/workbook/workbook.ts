import { type CheckResult, followingLesson, recordCheck } from "../check/check-lesson.ts";
import { type Lesson, type LessonProblem, loadLessons, requireLessons, resolveLesson } from "./lessons.ts";
import {
  type LessonState,
  type WorkbookState,
  currentLesson,
  editLessonState,
  lessonState,
  lessonsDone,
  readStateText,
  writeState,
} from "./state.ts";

// The one model of the learner's workbook: the lessons and .workbook/state.json, loaded once. It
// is the only place that knows the current lesson, progress, hints, what a check, a solve or a
// reset changes, and when everything is done. Commands and watch mode call its methods; after
// every verdict it tells its status listeners (a trainer's room) how the lesson stands.

export interface LessonStatusEvent {
  event: "check" | "watch" | "solve" | "reset" | "hint";
  /** "lesson-6" */
  lesson: string;
  passed: boolean;
  /** The reference was copied in with `npm run solve`. */
  solved: boolean;
  passing: number;
  total: number;
  hintsUsed: number;
  /** The first failing test's full name, when there is one. */
  failingTest?: string;
  /** From the lesson's first check, hint or solve to when it passed (or now), in whole minutes. */
  minutesOnLesson: number;
  /** ISO time. */
  at: string;
}

export type StatusListener = (status: LessonStatusEvent) => void;

export type HintTaken = { number: number; of: number; text: string } | { exhausted: true; of: number };

export interface WorkbookOptions {
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
  readonly #changeListeners = new Set<() => void>();
  readonly #warn: (line: string) => void;
  readonly #now: () => Date;

  private constructor(
    readonly root: string,
    lessons: Lesson[],
    problems: LessonProblem[],
    options: WorkbookOptions,
  ) {
    this.lessons = lessons;
    this.problems = problems;
    this.#warn = options.warn ?? (() => {});
    this.#now = options.now ?? (() => new Date());
    const { state, text } = readStateText(root, this.#warn);
    this.#state = state;
    this.#text = text;
  }

  /** Loads the lessons (each folder that is not a valid lesson is one warning) and the state. */
  static open(root: string, options: WorkbookOptions = {}): Workbook {
    const catalog = loadLessons(root);
    for (const problem of catalog.problems) options.warn?.(`skipping ${problem.dir}: ${problem.message}`);
    return new Workbook(root, requireLessons(catalog), catalog.problems, options);
  }

  /** The lesson named ("lesson-6", "6", "rate-limiter"), else the current one. */
  lesson(named?: string): Lesson {
    return named ? resolveLesson(this.lessons, named) : currentLesson(this.lessons, this.#state);
  }

  get state(): Readonly<WorkbookState> {
    return this.#state;
  }

  entry(lesson: Lesson): LessonState {
    return lessonState(this.#state, lesson.id);
  }

  done(): number {
    return lessonsDone(this.lessons, this.#state);
  }

  allDone(): boolean {
    return this.done() === this.lessons.length;
  }

  /** The next lesson not passed yet after `lesson`, else the first one not passed. */
  following(lesson: Lesson): Lesson | undefined {
    return followingLesson(this.lessons, this.#state, lesson);
  }

  /** The lesson `step` places away in the list (n and p in watch mode), if there is one. */
  neighbor(lesson: Lesson, step: 1 | -1): Lesson | undefined {
    return this.lessons[this.lessons.findIndex((l) => l.id === lesson.id) + step];
  }

  /** Makes `lesson` the current one (npm start lesson-6, or n/p/l in watch mode). */
  select(lesson: Lesson): void {
    this.#refresh();
    if (this.#state.current === lesson.id) return;
    this.#state.current = lesson.id;
    this.save();
  }

  /**
   * Records a check: the counts, the current lesson (a failing lesson becomes current; a passing
   * current lesson hands over to the next open one, returned), and when the lesson started and
   * passed. `moveCurrent: false` only records.
   */
  record(result: CheckResult, options: { event?: "check" | "watch"; moveCurrent?: boolean } = {}): Lesson | undefined {
    const { event = "check", moveCurrent = true } = options;
    this.#refresh();
    const entry = this.#touch(result.lesson);
    const wasPassed = entry.passed;
    const advancedTo = recordCheck(this.#state, this.lessons, result, this.#now(), moveCurrent);
    if (result.passed && !wasPassed) entry.passedAt = this.#now().toISOString();
    if (!result.passed) delete entry.passedAt;
    this.save();
    const failing = result.tests.find((test) => test.status === "failed");
    this.#emit(event, result.lesson, failing?.fullName);
    return advancedTo;
  }

  /** The lesson's next hint, counted; once all are seen, says so without counting. */
  takeHint(lesson: Lesson): HintTaken {
    this.#refresh();
    const used = this.entry(lesson).hintsUsed;
    if (used >= lesson.hints.length) return { exhausted: true, of: lesson.hints.length };
    this.#touch(lesson).hintsUsed = used + 1;
    this.save();
    this.#emit("hint", lesson);
    return { number: used + 1, of: lesson.hints.length, text: lesson.hints[used]! };
  }

  /**
   * Records reference solutions copied in. The current lesson moves past them when it was one
   * of them, or always with `through` (catching up); returns the current lesson afterwards.
   */
  markSolved(lessons: Lesson[], { through = false } = {}): Lesson {
    this.#refresh();
    const wasCurrent = lessons.some((lesson) => lesson.id === this.lesson().id);
    const at = this.#now().toISOString();
    for (const lesson of lessons) {
      const entry = this.#touch(lesson);
      if (!entry.passed) entry.passedAt = at;
      Object.assign(entry, { passed: true, solved: true });
    }
    const following = this.following(lessons[lessons.length - 1]!);
    if ((through || wasCurrent) && following) this.#state.current = following.id;
    this.save();
    for (const lesson of lessons) this.#emit("solve", lesson);
    return this.lesson();
  }

  /** Records a lesson's stub restored: it no longer passes, and was not solved by the reference. */
  markReset(lesson: Lesson): void {
    this.#refresh();
    const entry = editLessonState(this.#state, lesson.id);
    Object.assign(entry, { passed: false, testsPassing: 0, solved: false });
    delete entry.passedAt;
    this.save();
    this.#emit("reset", lesson);
  }

  /** Writes the state; a .workbook/ that cannot be written costs a warning, never the command. */
  save(): void {
    try {
      this.#text = writeState(this.root, this.#state, this.#warn);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      this.#warn(`progress could not be saved to .workbook/state.json (${code}); your lesson files are untouched.`);
    }
  }

  /** Re-reads the state when another terminal changed it; true (and listeners told) when it had changed. */
  reload(): boolean {
    const { state, text } = readStateText(this.root, this.#warn);
    if (text === this.#text) return false;
    this.#state = state;
    this.#text = text;
    for (const listener of this.#changeListeners) listener();
    return true;
  }

  /** Listens for changes another terminal made to the state, seen by reload(). */
  onExternalChange(listener: () => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  // A change is made to the state as it is on disk now, so another terminal's is never lost.
  #refresh(): void {
    this.reload();
  }

  /** Listens for the status after every verdict; returns the way to stop listening. */
  onStatus(listener: StatusListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The lesson's state, created when missing, with its start time set on first use. */
  #touch(lesson: Lesson): LessonState {
    const entry = editLessonState(this.#state, lesson.id);
    entry.startedAt ??= this.#now().toISOString();
    return entry;
  }

  #emit(event: LessonStatusEvent["event"], lesson: Lesson, failingTest?: string): void {
    if (this.#listeners.size === 0) return;
    const entry = this.entry(lesson);
    const now = this.#now();
    const status: LessonStatusEvent = {
      event,
      lesson: lesson.id,
      passed: entry.passed,
      solved: entry.solved,
      passing: entry.testsPassing,
      total: entry.testsTotal,
      hintsUsed: entry.hintsUsed,
      ...(failingTest !== undefined && { failingTest }),
      minutesOnLesson: minutesBetween(entry.startedAt, entry.passedAt ?? now.toISOString()),
      at: now.toISOString(),
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

function minutesBetween(from: string | undefined, to: string): number {
  if (!from) return 0;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 60_000) : 0;
}
