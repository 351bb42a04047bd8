import { describe, expect, it } from "vitest";
import { checkResult, diagnosticIn, failedTest, passedTest, testLesson } from "../../testing/lessons.ts";

const lesson = testLesson(2);

describe("summarize", () => {
  it.each([
    ["every test passes and types are clean", [passedTest(lesson, "a"), passedTest(lesson, "b")], [], true],
    ["a test fails", [passedTest(lesson, "a"), failedTest(lesson, "b")], [], false],
    ["a type error remains", [passedTest(lesson, "a")], [diagnosticIn(lesson, "TS2322")], false],
    ["no test ran", [], [], false],
  ])("passes only when %s", (_case, tests, types, expected) => {
    expect(checkResult(lesson, tests, {}, types).passed).toBe(expected);
  });

  it("counts passing tests out of all", () => {
    const tests = [passedTest(lesson, "a"), failedTest(lesson, "b"), failedTest(lesson, "c")];
    expect(checkResult(lesson, tests)).toMatchObject({ passing: 1, total: 3 });
  });

  it("does not pass a run stopped early or one with an error outside any test", () => {
    const tests = [passedTest(lesson, "a")];
    expect(checkResult(lesson, tests, { aborted: { kind: "timeout", file: "" } }).passed).toBe(false);
    const unhandled = [{ kind: "rejection" as const, failure: { errorName: "Error", message: "x" } }];
    expect(checkResult(lesson, tests, { unhandled }).passed).toBe(false);
  });
});
