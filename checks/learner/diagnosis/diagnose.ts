import type { CheckResult } from "../check/check-result.ts";
import { type Problem, firstProblem } from "../check/first-problem.ts";
import type { TestOutcome } from "../runner/run-tests.ts";
import { stubPath } from "../workbook/lessons.ts";
import {
  type Diagnosis,
  type KnownMistake,
  type KnownMistakes,
  type Signature,
  loadKnownMistakes,
  testsKey,
} from "./known-mistakes.ts";

// The one rule for "this failure looks like a known mistake", used by check, watch mode, the
// Workbook (which records it for the trainer's room) and verify (which proves every catalogued
// mistake is diagnosed as itself, and the stub and the reference as nothing). It only ever
// compares a check with signatures recorded from real runs, and says nothing unless exactly one
// fits entirely:
//  - the check failed cleanly: no type error, and its first problem (first-problem.ts's rule,
//    what the learner is shown) is a failing test or an error outside any test, not code that
//    is not written yet;
//  - that first problem is the mistake's own (or one of them, for a mistake that races): the same
//    test failing with the same kind of error, or the same error outside any test;
//  - in the test files that import the mistake's stub, exactly the mistake's tests fail (but for
//    tests its recording saw go either way);
//  - no other known mistake fits as well.
// A test that failed because another stub of the lesson is not written yet (lessons 9 and 10
// have two) says nothing about this one, so it is left out of the comparison; one not written in
// the mistake's own stub rules the mistake out.

/** The one known mistake the check's failure matches, if exactly one does; else null. */
export function diagnose(result: CheckResult, known: KnownMistakes | undefined): Diagnosis | null {
  if (!known || known.lesson !== result.lesson.id || result.passed || result.typeErrors.length > 0) return null;
  const problem = firstProblem(result);
  if (problem?.kind !== "test" && problem?.kind !== "unhandled") return null;
  const fits = known.mistakes.filter(
    (mistake) => mistake.signature.first.some((first) => fitsFirst(first, problem)) && failsAlike(mistake, result),
  );
  if (fits.length !== 1) return null;
  const { mistake, title, note } = fits[0]!;
  return { mistake, title, note };
}

/** The diagnosis of a learner's check: against the lesson's recorded signatures, if its tests are still theirs. */
export function diagnoseCheck(root: string, result: CheckResult): Diagnosis | null {
  if (result.passed) return null;
  const known = loadKnownMistakes(root, result.lesson);
  // Tests edited since the signatures were taken fail in other ways: nothing can be said.
  if (!known || known.tests !== testsKey(root, result.lesson)) return null;
  return diagnose(result, known);
}

function fitsFirst(
  first: Signature["first"][number],
  problem: Extract<Problem, { kind: "test" | "unhandled" }>,
): boolean {
  if (first.kind === "unhandled") {
    if (problem.kind !== "unhandled") return false;
    const { failure } = problem.unhandled;
    return failure.errorName === first.error && firstLine(failure.message) === first.message;
  }
  if (problem.kind !== "test") return false;
  const { test } = problem;
  return (
    fileName(test.file) === first.file &&
    test.fullName === first.test &&
    test.failure?.errorName === first.error &&
    !test.failure.notImplemented
  );
}

/** Whether the tests that can reach the mistake's stub fail exactly as the mistake's did. */
function failsAlike(mistake: KnownMistake, result: CheckResult): boolean {
  const { files, failing, sometimes = {} } = mistake.signature;
  const ownStub = `${result.lesson.dir}/${mistake.stub}`;
  const otherStubs = result.lesson.files.map((file) => stubPath(result.lesson, file)).filter((s) => s !== ownStub);
  const expected = new Set(files.flatMap((file) => (failing[file] ?? []).map((name) => `${file}\0${name}`)));
  let accounted = 0;
  for (const test of result.tests) {
    const file = fileName(test.file);
    if (!files.includes(file)) continue;
    const expectedToFail = expected.has(`${file}\0${test.fullName}`);
    const unwritten = test.status === "failed" ? test.failure?.notImplemented : undefined;
    // Code of this stub not written yet rules the mistake out: a half-written stub fails anyhow.
    if (unwritten && !otherStubs.includes(unwritten.location?.file ?? "")) return false;
    if (expectedToFail) accounted++;
    // Another stub not written yet hides how this test would fare; one seen both ways under this
    // mistake tells nothing either way.
    if (unwritten || sometimes[file]?.includes(test.fullName)) continue;
    if ((test.status === "failed") !== expectedToFail) return false;
  }
  // A test the mistake fails that did not run at all is a difference too.
  return accounted === expected.size;
}

/** How a check failed, as a signature records it; or why it cannot be one (verify says so). */
export function signatureOf(result: CheckResult, files: string[]): Signature | { problem: string } {
  const problem = firstProblem(result);
  if (!problem) return { problem: "every test passes" };
  let first: Signature["first"][number];
  if (problem.kind === "test") {
    const { test } = problem;
    if (test.failure?.notImplemented) return { problem: `“${test.fullName}” fails as not written yet` };
    first = { kind: "test", file: fileName(test.file), test: test.fullName, error: test.failure?.errorName ?? "" };
  } else if (problem.kind === "unhandled") {
    const { failure } = problem.unhandled;
    first = { kind: "unhandled", error: failure.errorName, message: firstLine(failure.message) };
  } else {
    return { problem: `what a learner sees first is ${describeProblem(problem)}, which no diagnosis is shown under` };
  }
  const failing: Record<string, string[]> = {};
  for (const file of files) {
    const names = failingIn(result.tests, file);
    if (names.length > 0) failing[file] = names;
  }
  return { files, first: [first], failing };
}

function failingIn(tests: readonly TestOutcome[], file: string): string[] {
  return tests
    .filter((test) => test.status === "failed" && fileName(test.file) === file)
    .map((test) => test.fullName)
    .sort();
}

function describeProblem(problem: Problem): string {
  switch (problem.kind) {
    case "aborted":
      return `a run stopped (${problem.aborted.kind})`;
    case "load":
      return `a test file that cannot load (${problem.error.file})`;
    case "syntax":
    case "type":
      return `a ${problem.kind} error`;
    default:
      return problem.kind;
  }
}

/** A test file's name: signatures name test files within the lesson's folder. */
function fileName(file: string): string {
  return file.slice(file.lastIndexOf("/") + 1);
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? "";
}
