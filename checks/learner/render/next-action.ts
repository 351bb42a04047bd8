import type { CheckResult } from "../check/check-lesson.ts";
import {
  firstProblem,
  formatLocation,
  isTestFile,
  stubForTest,
  stubOfTestFile,
  stubToEdit,
} from "../check/first-problem.ts";
import { type Lesson, describeStubs, testPaths } from "../workbook/lessons.ts";
import type { WorkbookView } from "../workbook/workbook.ts";
import { endedByLearner, inLearnerFiles } from "./problem.ts";
import { visible } from "./text.ts";

// The one thing to do next after a check: every check's output ends with it.

/** The one sentence for a workbook with every lesson passed. */
export function allDoneMessage(lessons: readonly Lesson[]): string {
  return `all ${lessons.length} lessons pass. Well done! npm run report shows your summary`;
}

export function nextAction(result: CheckResult, view: WorkbookView): string {
  const problem = firstProblem(result);
  const lesson = result.lesson;
  const then = `then npm run check ${lesson.id}`;
  if (!problem) {
    const following = view.following(lesson);
    return following ? `npm run check ${following.id}` : allDoneMessage(view.lessons);
  }
  switch (problem.kind) {
    case "aborted": {
      const stub = stubOfTestFile(lesson, problem.aborted.file);
      if (problem.aborted.kind === "timeout")
        return `find the loop in ${stub} that never ends, then npm run check ${lesson.id}`;
      if (problem.aborted.kind === "memory")
        return `find what keeps growing in ${stub}, then npm run check ${lesson.id}`;
      return `npm run check ${lesson.id} again; if it stops the same way, run it with WORKBOOK_DEBUG=1`;
    }
    case "unhandled": {
      const { failure } = problem.unhandled;
      if (endedByLearner(failure))
        return `remove the call that ends the process (process.exit) from ${describeStubs(lesson)}, ${then}`;
      if (failure.location && inLearnerFiles(lesson, failure.location.file))
        return `handle the error at ${formatLocation(failure.location)}`;
      return `find the promise or timer in ${describeStubs(lesson)} whose error nothing catches`;
    }
    case "syntax":
      return `fix the syntax error at ${formatLocation(problem.diagnostic)}`;
    case "type": {
      const where = formatLocation(problem.diagnostic);
      return isTestFile(lesson, problem.diagnostic.file)
        ? `change ${stubForTest(lesson, problem.diagnostic.file)} to fit how the test uses it at ${where}`
        : `fix the type error at ${where}`;
    }
    case "load": {
      const where = problem.error.failure.location;
      const at = where && inLearnerFiles(lesson, where.file) ? `, at ${formatLocation(where)}` : "";
      return `fix the error that stops ${problem.error.file || "the tests"} from running${at}`;
    }
    case "test":
      return `make “${visible(problem.test.name)}” pass in ${stubToEdit(lesson, problem.test)}`;
    case "no-tests":
      return `add tests to ${testPaths(lesson).join(" and ")}`;
  }
}
