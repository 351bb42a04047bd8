import { type Lesson, describeStubs, stubPath, testPaths } from "../workbook/lessons.ts";
import type { Aborted, Failure, FileError, SourceLocation, TestOutcome, Unhandled } from "../runner/run-tests.ts";
import type { CheckResult } from "./check-result.ts";
import type { TypeDiagnostic } from "./typecheck.ts";

// The one rule for "the first problem" of a check: what `npm run check` and watch mode explain,
// what the Workbook records as the failing test, and what `npm run verify` proves every catalogued
// mistake leads to. One rule, so verify proves exactly what a learner sees.

export type Problem =
  | { kind: "aborted"; aborted: Aborted }
  | { kind: "unhandled"; unhandled: Unhandled }
  | { kind: "syntax"; diagnostic: TypeDiagnostic }
  | { kind: "type"; diagnostic: TypeDiagnostic }
  | { kind: "load"; error: FileError }
  | { kind: "test"; test: TestOutcome }
  | { kind: "no-tests" };

/** Whether the run was clean enough for "N/N tests passing" to mean anything. */
export function ranCleanly(result: Pick<CheckResult, "aborted" | "unhandled">): boolean {
  return !result.aborted && result.unhandled.length === 0;
}

const isSyntaxError = (diagnostic: TypeDiagnostic) => /^TS1\d{3}$/.test(diagnostic.code);

/**
 * What the learner should look at first: a run stopped for time or memory, then a syntax error,
 * then a file that cannot load, then an error thrown outside any test, then a stub that does not
 * fit its tests' types, then the first failing test (test files in the manifest's order), then
 * any other type error.
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
  const failing = firstFailingTest(result.lesson, result.tests);
  if (failing) return { kind: "test", test: failing };
  const typeError = inLesson[0] ?? result.typeErrors[0];
  if (typeError) return { kind: "type", diagnostic: typeError };
  if (result.total === 0) return { kind: "no-tests" };
  return undefined;
}

/** The first failing test: test files in the manifest's order, each file's tests in the order they ran. */
export function firstFailingTest(lesson: Lesson, tests: readonly TestOutcome[]): TestOutcome | undefined {
  const order = testPaths(lesson);
  const rank = (test: TestOutcome) => {
    const index = order.indexOf(test.file);
    return index === -1 ? order.length : index;
  };
  let first: TestOutcome | undefined;
  for (const test of tests) {
    if (test.status === "failed" && (!first || rank(test) < rank(first))) first = test;
  }
  return first;
}

export function isTestFile(lesson: Lesson, file: string): boolean {
  return testPaths(lesson).includes(file);
}

/** The stub named like a test file (cache.test.ts → cache.ts), else all of the lesson's stubs. */
export function stubForTest(lesson: Lesson, testFile: string): string {
  const stubs = lesson.files.map((file) => stubPath(lesson, file));
  return stubs.find((stub) => stub.replace(/\.ts$/, ".test.ts") === testFile) ?? describeStubs(lesson);
}

/**
 * The stub a failing test points at: where NotImplementedError came from, the stub named like the
 * test file, or all stubs.
 */
export function stubToEdit(lesson: Lesson, test?: TestOutcome): string {
  const stubs = lesson.files.map((file) => stubPath(lesson, file));
  const fromError = [test?.failure?.notImplemented?.location?.file, test?.failure?.location?.file].find(
    (file) => file && stubs.includes(file),
  );
  if (fromError) return fromError;
  return test ? stubForTest(lesson, test.file) : describeStubs(lesson);
}

/** The stub a test file exercises: what to open when that file's code loops or eats memory. */
export function stubOfTestFile(lesson: Lesson, testFile: string): string {
  return testFile ? stubForTest(lesson, testFile) : describeStubs(lesson);
}

export function formatLocation(location: { file: string; line: number; column: number }): string {
  return location.line > 0 ? `${location.file}:${location.line}:${location.column}` : location.file;
}

/** The top of a file: where to open one when no line in it is known. */
function topOf(file: string): SourceLocation {
  return { file, line: 1, column: 1 };
}

/** One stub to open: `candidate` when it is one of the lesson's stubs, else the first. */
function oneStub(lesson: Lesson, candidate?: string): string {
  const stubs = lesson.files.map((file) => stubPath(lesson, file));
  return candidate && stubs.includes(candidate) ? candidate : stubs[0]!;
}

/**
 * Where the learner's editor opens for a check that does not pass (`e` in watch mode, `npm run
 * open`): the first problem's location when it is in the lesson's files, else where
 * NotImplementedError was thrown, else the top of the stub the problem concerns.
 */
export function problemLocation(result: CheckResult): SourceLocation | undefined {
  const problem = firstProblem(result);
  if (!problem) return undefined;
  const lesson = result.lesson;
  const inLesson = (at?: SourceLocation) =>
    at && at.line > 0 && at.file.startsWith(`${lesson.dir}/`)
      ? { file: at.file, line: at.line, column: at.column }
      : undefined;
  // Tests counted rather than run (report --fresh) fail without a failure to say where.
  const fromFailure = (failure?: Failure) => inLesson(failure?.location) ?? inLesson(failure?.notImplemented?.location);
  switch (problem.kind) {
    case "syntax":
    case "type":
      return inLesson(problem.diagnostic) ?? topOf(oneStub(lesson));
    case "test":
      return fromFailure(problem.test.failure) ?? topOf(oneStub(lesson, stubToEdit(lesson, problem.test)));
    case "load":
      return fromFailure(problem.error.failure) ?? topOf(oneStub(lesson, stubForTest(lesson, problem.error.file)));
    case "unhandled":
      return fromFailure(problem.unhandled.failure) ?? topOf(oneStub(lesson));
    case "aborted":
      return topOf(oneStub(lesson, stubOfTestFile(lesson, problem.aborted.file)));
    case "no-tests":
      return topOf(oneStub(lesson));
  }
}

/**
 * Where to open a lesson's file after a check, passing or not: the first problem (above), else
 * the first "passes, but…" note, else the top of the first stub. With no check yet, the top of
 * the first stub, where an untouched stub starts explaining the task.
 */
export function editLocation(lesson: Lesson, result?: CheckResult): SourceLocation {
  const problem = result && problemLocation(result);
  if (problem) return problem;
  const note = /^(.+):(\d+)$/.exec(result?.passesBut?.[0]?.location ?? "");
  return note ? { file: note[1]!, line: Number(note[2]), column: 1 } : topOf(oneStub(lesson));
}
