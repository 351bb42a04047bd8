import { existsSync } from "node:fs";
import path from "node:path";
import type { Env } from "../cli/env.ts";
import { type Lesson, describeStubs, stubPath, testPaths } from "../workbook/lessons.ts";
import {
  type Aborted,
  type FileError,
  type RunResult,
  type TestHost,
  type TestOutcome,
  type Unhandled,
  runTests,
  learnerPool,
} from "../runner/run-tests.ts";
import { type WorkbookState, currentLesson, editLessonState, lessonState } from "../workbook/state.ts";
import { type TypeDiagnostic, typecheck } from "./typecheck.ts";
import { missingExecutables } from "./requires.ts";
import { UserError } from "../cli/user-error.ts";

// One check of one lesson: its tests and its type-check run side by side, and the outcome is
// reduced to the single problem worth the learner's attention and the single thing to do next.

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
}

export type Problem =
  | { kind: "aborted"; aborted: Aborted }
  | { kind: "unhandled"; unhandled: Unhandled }
  | { kind: "syntax"; diagnostic: TypeDiagnostic }
  | { kind: "type"; diagnostic: TypeDiagnostic }
  | { kind: "load"; error: FileError }
  | { kind: "test"; test: TestOutcome }
  | { kind: "no-tests" };

export function lessonFiles(lesson: Lesson): string[] {
  return [...lesson.files.map((file) => stubPath(lesson, file)), ...testPaths(lesson)];
}

export function assertLessonFilesExist(root: string, lesson: Lesson): void {
  const missing = lessonFiles(lesson).filter((file) => !existsSync(path.join(root, file)));
  if (missing.length > 0) {
    throw new UserError(
      `${missing.join(" and ")} ${missing.length === 1 ? "is" : "are"} missing: restore with npm run reset ${lesson.id}`,
      1,
    );
  }
}

/** Executables the lesson needs (its manifest's `requires`) that are not on the PATH. */
export function missingRequirements(lesson: Lesson, env: Env = process.env): string[] {
  return missingExecutables(lesson.requires ?? [], env);
}

export interface CheckOptions {
  /** A long-lived test host (watch mode); otherwise one is started for this check. */
  host?: TestHost;
  /** Files changed since the host's last run. */
  changed?: string[];
  /** Told the test results as soon as they are in, before the type-check is done. */
  onTests?: (run: RunResult) => void;
  /** For WORKBOOK_TIMEOUT_MS, when this check starts its own test host. */
  env?: Env;
}

export async function checkLesson(root: string, lesson: Lesson, options: CheckOptions = {}): Promise<CheckResult> {
  assertLessonFilesExist(root, lesson);
  const tests = testPaths(lesson);
  const running = options.host
    ? options.host.run(tests, { invalidate: options.changed ?? [] })
    : runTests(root, "stub", tests, {}, { env: options.env, pool: learnerPool });
  const testing = running.then((run) => {
    options.onTests?.(run);
    return run;
  });
  const [run, typeErrors] = await Promise.all([
    testing,
    typecheck({ root, files: lessonFiles(lesson), incrementalKey: lesson.id }),
  ]);
  return summarize(lesson, run, typeErrors);
}

export function summarize(lesson: Lesson, run: RunResult, typeErrors: TypeDiagnostic[]): CheckResult {
  const passing = run.tests.filter((test) => test.status === "passed").length;
  const total = run.tests.length;
  const unhandled = run.unhandled ?? [];
  return {
    lesson,
    tests: run.tests,
    fileErrors: run.fileErrors,
    typeErrors,
    logs: run.logs,
    logsCut: run.logsCut ?? { lines: 0, bytes: 0 },
    unhandled,
    ...(run.aborted && { aborted: run.aborted }),
    passing,
    total,
    passed:
      total > 0 &&
      passing === total &&
      run.fileErrors.length === 0 &&
      typeErrors.length === 0 &&
      unhandled.length === 0 &&
      !run.aborted,
  };
}

/** Whether the run was clean enough for "N/N tests passing" to mean anything. */
export function ranCleanly(result: CheckResult): boolean {
  return !result.aborted && result.unhandled.length === 0;
}

const isSyntaxError = (diagnostic: TypeDiagnostic) => /^TS1\d{3}$/.test(diagnostic.code);

/**
 * What the learner should look at first: a syntax error stops everything, then a file that cannot
 * load, then a stub that does not fit its tests' types, then the first failing test, then any
 * other type error.
 */
export function firstProblem(result: CheckResult): Problem | undefined {
  if (result.aborted) return { kind: "aborted", aborted: result.aborted };
  const inLesson = result.typeErrors.filter((d) => d.file.startsWith(`${result.lesson.dir}/`));
  const syntax = inLesson.find(isSyntaxError) ?? result.typeErrors.find(isSyntaxError);
  if (syntax) return { kind: "syntax", diagnostic: syntax };
  const loadError = result.fileErrors[0];
  // A file that cannot load usually has a type error that says why more clearly (a missing export, a wrong import).
  if (loadError) return inLesson[0] ? { kind: "type", diagnostic: inLesson[0] } : { kind: "load", error: loadError };
  const unhandled = result.unhandled[0];
  if (unhandled) return { kind: "unhandled", unhandled };
  // A type error in a test file means the stub's exports or types are not what the tests use:
  // fixing that comes before any single test.
  const testFiles = testPaths(result.lesson);
  const inTests = inLesson.find((d) => testFiles.includes(d.file));
  if (inTests) return { kind: "type", diagnostic: inTests };
  const failing = result.tests.find((test) => test.status === "failed");
  if (failing) return { kind: "test", test: failing };
  const typeError = inLesson[0] ?? result.typeErrors[0];
  if (typeError) return { kind: "type", diagnostic: typeError };
  if (result.total === 0) return { kind: "no-tests" };
  return undefined;
}

export function isTestFile(lesson: Lesson, file: string): boolean {
  return testPaths(lesson).includes(file);
}

/** The stub named like a test file (cache.test.ts → cache.ts), else all of the lesson's stubs. */
export function stubForTest(lesson: Lesson, testFile: string): string {
  const stubs = lesson.files.map((file) => stubPath(lesson, file));
  return stubs.find((stub) => stub.replace(/\.ts$/, ".test.ts") === testFile) ?? describeStubs(lesson);
}

/** The stub a failing test points at: where NotImplementedError came from, the stub named like the test file, or all stubs. */
export function stubToEdit(lesson: Lesson, test?: TestOutcome): string {
  const stubs = lesson.files.map((file) => stubPath(lesson, file));
  const fromError = [test?.failure?.notImplemented?.location?.file, test?.failure?.location?.file].find(
    (file) => file && stubs.includes(file),
  );
  if (fromError) return fromError;
  return test ? stubForTest(lesson, test.file) : describeStubs(lesson);
}

export function formatLocation(location: { file: string; line: number; column: number }): string {
  return location.line > 0 ? `${location.file}:${location.line}:${location.column}` : location.file;
}

/** The stub a test file exercises: what to open when that file's code loops or eats memory. */
export function stubOfTestFile(lesson: Lesson, testFile: string): string {
  return testFile ? stubForTest(lesson, testFile) : describeStubs(lesson);
}

/** The one sentence for a workbook with every lesson passed. */
export function allDoneMessage(lessons: Lesson[]): string {
  return `all ${lessons.length} lessons pass. Well done! npm run report shows your summary`;
}

/** The lesson after `lesson` that is not passed yet, else the first one not passed at all. */
export function followingLesson(lessons: Lesson[], state: WorkbookState, lesson: Lesson): Lesson | undefined {
  const index = lessons.findIndex((l) => l.id === lesson.id);
  const open = (l: Lesson) => l.id !== lesson.id && !lessonState(state, l.id).passed;
  return lessons.slice(index + 1).find(open) ?? lessons.slice(0, index).find(open);
}

export function nextAction(result: CheckResult, lessons: Lesson[], state: WorkbookState): string {
  const problem = firstProblem(result);
  if (!problem) {
    const following = followingLesson(lessons, state, result.lesson);
    return following ? `npm run check ${following.id}` : allDoneMessage(lessons);
  }
  switch (problem.kind) {
    case "aborted": {
      const stub = stubOfTestFile(result.lesson, problem.aborted.file);
      if (problem.aborted.kind === "timeout")
        return `find the loop in ${stub} that never ends, then npm run check ${result.lesson.id}`;
      if (problem.aborted.kind === "memory")
        return `find what keeps growing in ${stub}, then npm run check ${result.lesson.id}`;
      return `npm run check ${result.lesson.id} again; if it stops the same way, run it with WORKBOOK_DEBUG=1`;
    }
    case "unhandled": {
      const where = problem.unhandled.failure.location;
      if (where) return `handle the error at ${formatLocation(where)}`;
      return `find the promise or timer in ${describeStubs(result.lesson)} whose error nothing catches`;
    }
    case "syntax":
      return `fix the syntax error at ${formatLocation(problem.diagnostic)}`;
    case "type":
      return isTestFile(result.lesson, problem.diagnostic.file)
        ? `change ${stubForTest(result.lesson, problem.diagnostic.file)} to fit how the test uses it at ${formatLocation(problem.diagnostic)}`
        : `fix the type error at ${formatLocation(problem.diagnostic)}`;
    case "load":
      return `fix the error that stops ${problem.error.file || "the tests"} from running${problem.error.failure.location ? `, at ${formatLocation(problem.error.failure.location)}` : ""}`;
    case "test":
      return `make “${problem.test.name}” pass in ${stubToEdit(result.lesson, problem.test)}`;
    case "no-tests":
      return `add tests to ${testPaths(result.lesson).join(" and ")}`;
  }
}

/**
 * Records a check in the state and moves the current lesson: a failing lesson becomes current (it
 * is what the learner works on), a passing current lesson hands over to the next open one, which
 * is returned. `moveCurrent: false` only records (a trainer's report re-running every lesson).
 */
export function recordCheck(
  state: WorkbookState,
  lessons: Lesson[],
  result: CheckResult,
  now: Date,
  moveCurrent = true,
): Lesson | undefined {
  const wasCurrent = currentLesson(lessons, state).id === result.lesson.id;
  const entry = editLessonState(state, result.lesson.id);
  entry.passed = result.passed;
  entry.testsPassing = result.passing;
  // A file that cannot load, or a run stopped early, has no tests to count; the last count is
  // still the lesson's size.
  if (result.total > 0 || (result.fileErrors.length === 0 && !result.aborted)) entry.testsTotal = result.total;
  entry.checkedAt = now.toISOString();
  if (!moveCurrent) return undefined;
  if (!result.passed) {
    state.current = result.lesson.id;
    return undefined;
  }
  if (!wasCurrent) return undefined;
  const following = followingLesson(lessons, state, result.lesson);
  if (following) state.current = following.id;
  return following;
}
