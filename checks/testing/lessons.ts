import type { CheckResult } from "../learner/check/check-lesson.ts";
import { summarize } from "../learner/check/check-lesson.ts";
import type { TypeDiagnostic } from "../learner/check/typecheck.ts";
import type { RunResult, TestOutcome } from "../learner/runner/run-tests.ts";
import type { Lesson } from "../learner/workbook/lessons.ts";
import { type LessonStatus, deriveStatus } from "../learner/workbook/lesson-status.ts";
import { type WorkbookView, workbookView } from "../learner/workbook/workbook.ts";

// Lessons, test outcomes and check results made by hand, for tests of what reads them.

export function testLesson(number: number, stubs: string[] = ["cache.ts"]): Lesson {
  const folder = `lesson-${number}-thing`;
  return {
    id: `lesson-${number}`,
    number,
    pattern: "thing",
    title: "A thing",
    minutes: 5,
    folder,
    dir: `lessons/${folder}`,
    files: stubs.map((stub) => ({ stub, reference: `solutions/${stub}` })),
    tests: stubs.map((stub) => stub.replace(".ts", ".test.ts")),
    hints: ["a", "b", "c"],
  };
}

export function passedTest(lesson: Lesson, name: string, file = lesson.tests[0]!): TestOutcome {
  return { file: `${lesson.dir}/${file}`, name, fullName: name, status: "passed" };
}

export function failedTest(
  lesson: Lesson,
  name: string,
  extra: Partial<NonNullable<TestOutcome["failure"]>> = {},
  file = lesson.tests[0]!,
): TestOutcome {
  const failure = { errorName: "AssertionError", message: "nope", ...extra };
  return { file: `${lesson.dir}/${file}`, name, fullName: name, status: "failed", failure };
}

export function diagnosticIn(
  lesson: Lesson,
  code: string,
  file = `${lesson.dir}/${lesson.files[0]!.stub}`,
): TypeDiagnostic {
  return { file, line: 3, column: 7, code, message: "bad" };
}

export function checkResult(
  lesson: Lesson,
  tests: TestOutcome[],
  extra: Partial<RunResult> = {},
  typeErrors: TypeDiagnostic[] = [],
): CheckResult {
  return summarize(lesson, { tests, fileErrors: [], logs: [], ...extra }, typeErrors);
}

/** A view where the lessons named in `done` have passed and the rest were never touched. */
export function viewOf(lessons: Lesson[], done: string[] = [], current = lessons[0]!): WorkbookView {
  const passed = deriveStatus(
    { passed: true, testsPassing: 1, testsTotal: 1, testsCounted: false, hintsUsed: 0, solved: false },
    new Date(),
  );
  const statuses = new Map<string, LessonStatus>(done.map((id) => [id, passed]));
  return workbookView(lessons, current, statuses);
}
