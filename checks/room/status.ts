// What the workbook sends to a trainer's room after every verdict: counters and the name of the
// first failing test, never the learner's code.

export type StatusEventKind = "check" | "watch" | "solve" | "reset" | "hint";

export interface LessonStatusEvent {
  event: StatusEventKind;
  /** A lesson id, e.g. "lesson-6". */
  lesson: string;
  passed: boolean;
  /** The reference was copied in with `npm run solve`. */
  solved: boolean;
  /** Tests passing and in total. */
  passing: number;
  total: number;
  hintsUsed: number;
  /** The first failing test's full name. */
  failingTest?: string;
  minutesOnLesson: number;
  /** ISO time of the verdict. */
  at: string;
}

export type StatusListener = (status: LessonStatusEvent) => void;
