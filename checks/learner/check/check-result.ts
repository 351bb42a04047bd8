import type { Diagnosis } from "../diagnosis/known-mistakes.ts";
import type { Aborted, FileError, TestOutcome, Unhandled } from "../runner/run-tests.ts";
import type { Lesson } from "../workbook/lessons.ts";
import type { PassNote } from "./passes-but.ts";
import type { TypeDiagnostic } from "./typecheck.ts";

// What one check of one lesson found, on its own so that what reads it (the first problem, the
// diagnosis) and what makes it (check-lesson.ts) need not import each other.

export interface CheckResult {
  lesson: Lesson;
  tests: TestOutcome[];
  fileErrors: FileError[];
  typeErrors: TypeDiagnostic[];
  logs: string[];
  logsCut: { lines: number; bytes: number };
  unhandled: Unhandled[];
  aborted?: Aborted;
  passing: number;
  total: number;
  passed: boolean;
  /** Once it passes: what its tests cannot see in the learner's files (never part of the verdict). */
  passesBut?: PassNote[];
  /** The catalogued mistake this failure looks like, when exactly one fits; else null. */
  diagnosis: Diagnosis | null;
}
