import { describe, expect, it } from "vitest";
import { checkResult, diagnosticIn, failedTest, passedTest, testLesson, viewOf } from "../../testing/lessons.ts";
import { nextAction } from "./next-action.ts";

const lessons = [testLesson(1), testLesson(2), testLesson(3)];
const l2 = lessons[1]!;
const d = (code: string, file?: string) => diagnosticIn(l2, code, file);

describe("nextAction", () => {
  it.each([
    [
      "a failing test",
      [failedTest(l2, "returns null for a missing email")],
      [],
      "make “returns null for a missing email” pass in lessons/lesson-2-thing/cache.ts",
    ],
    ["a syntax error", [], [d("TS1005")], "fix the syntax error at lessons/lesson-2-thing/cache.ts:3:7"],
    ["a type error", [passedTest(l2, "a")], [d("TS2322")], "fix the type error at lessons/lesson-2-thing/cache.ts:3:7"],
    [
      "a type error in a test file",
      [failedTest(l2, "a")],
      [d("TS2305", `${l2.dir}/cache.test.ts`)],
      "change lessons/lesson-2-thing/cache.ts to fit how the test uses it at lessons/lesson-2-thing/cache.test.ts:3:7",
    ],
    ["a passing lesson", [passedTest(l2, "a")], [], "npm run check lesson-3"],
  ])("after %s is %j", (_case, tests, types, action) => {
    expect(nextAction(checkResult(l2, tests, {}, types), viewOf(lessons))).toBe(action);
  });

  it("sends the learner back to an open earlier lesson after the last one passes", () => {
    const last = lessons[2]!;
    expect(nextAction(checkResult(last, [passedTest(last, "a")]), viewOf(lessons, ["lesson-2"]))).toBe(
      "npm run check lesson-1",
    );
  });

  it("says every lesson is done when none is open", () => {
    const last = lessons[2]!;
    const view = viewOf(lessons, ["lesson-1", "lesson-2", "lesson-3"]);
    expect(nextAction(checkResult(last, [passedTest(last, "a")]), view)).toBe(
      "all 3 lessons pass. Well done! npm run report shows your summary",
    );
  });

  it("shows a test's name with its control and direction characters escaped", () => {
    const result = checkResult(l2, [failedTest(l2, "rejects Ada\u202Eexe.txt\u001b[2J")]);
    expect(nextAction(result, viewOf(lessons))).toBe(
      "make “rejects Ada\\u202Eexe.txt\\x1B[2J” pass in lessons/lesson-2-thing/cache.ts",
    );
  });

  it("points at the learner's file, never at vitest's, when the code under test ended the process", () => {
    const failure = {
      errorName: "Error",
      message: "[vitest-pool]: Worker threads emitted error.",
      location: { file: "node_modules/vitest/dist/chunks/cli-api.js", line: 3526, column: 21 },
    };
    const result = checkResult(l2, [], { unhandled: [{ kind: "error", failure }] });
    expect(nextAction(result, viewOf(lessons))).toBe(
      "remove the call that ends the process (process.exit) from lessons/lesson-2-thing/cache.ts, then npm run check lesson-2",
    );
  });

  it("never names a place outside the lesson's files as where to handle an error", () => {
    const failure = {
      errorName: "Error",
      message: "boom",
      location: { file: "node_modules/some-package/index.js", line: 1, column: 1 },
    };
    const result = checkResult(l2, [], { unhandled: [{ kind: "rejection", failure }] });
    expect(nextAction(result, viewOf(lessons))).toBe(
      "find the promise or timer in lessons/lesson-2-thing/cache.ts whose error nothing catches",
    );
  });
});
