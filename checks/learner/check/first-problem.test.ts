import { describe, expect, it } from "vitest";
import { checkResult, diagnosticIn, failedTest, passedTest, testLesson } from "../../testing/lessons.ts";
import type { TestOutcome } from "../runner/run-tests.ts";
import { firstFailingTest, firstProblem, stubToEdit } from "./first-problem.ts";

// The one rule for the first problem: what check and watch mode explain, what the Workbook records
// as the failing test, and what verify proves each catalogued mistake leads to.

const lesson = testLesson(2);
const d = (code: string, file?: string) => diagnosticIn(lesson, code, file);

describe("firstProblem", () => {
  it.each([
    [
      "a run stopped for time, before anything",
      { aborted: { kind: "timeout" as const, file: "" } },
      [d("TS1005")],
      "aborted",
    ],
    ["a syntax error, before failing tests", {}, [d("TS2322"), d("TS1005")], "syntax"],
    ["a type error in a test file, before failing tests", {}, [d("TS2305", `${lesson.dir}/cache.test.ts`)], "type"],
    ["the first failing test, before a type error in the stub", {}, [d("TS2322")], "test"],
  ])("puts %s", (_case, extra, types, kind) => {
    expect(firstProblem(checkResult(lesson, [failedTest(lesson, "a")], extra, types))?.kind).toBe(kind);
  });

  it("explains a file that cannot load with the lesson's type error when there is one", () => {
    const fileErrors = [
      { file: `${lesson.dir}/cache.test.ts`, failure: { errorName: "Error", message: "cannot load" } },
    ];
    expect(firstProblem(checkResult(lesson, [], { fileErrors }, [d("TS2305")]))?.kind).toBe("type");
    expect(firstProblem(checkResult(lesson, [], { fileErrors }))?.kind).toBe("load");
  });

  it("puts an error outside any test before the failing tests", () => {
    const unhandled = [{ kind: "rejection" as const, failure: { errorName: "Error", message: "x" } }];
    expect(firstProblem(checkResult(lesson, [failedTest(lesson, "a")], { unhandled }))?.kind).toBe("unhandled");
  });

  it("reports a type error when every test passes, and nothing for a passing lesson", () => {
    expect(firstProblem(checkResult(lesson, [passedTest(lesson, "a")], {}, [d("TS2322")]))?.kind).toBe("type");
    expect(firstProblem(checkResult(lesson, [passedTest(lesson, "a")]))).toBeUndefined();
  });

  it("says no tests ran when none did", () => {
    expect(firstProblem(checkResult(lesson, []))?.kind).toBe("no-tests");
  });
});

describe("firstFailingTest", () => {
  const routes = testLesson(9, ["users-route.ts", "user-by-id-route.ts"]);
  const failing = (name: string, file: string) => failedTest(routes, name, {}, file);

  it("takes test files in the manifest's order, whatever order vitest reported them in", () => {
    const tests = [failing("by id", "user-by-id-route.test.ts"), failing("list", "users-route.test.ts")];
    expect(firstFailingTest(routes, tests)?.name).toBe("list");
  });

  it("keeps the order the tests ran in within one file, and skips passing ones", () => {
    const tests = [passedTest(routes, "a"), failing("b", "users-route.test.ts"), failing("c", "users-route.test.ts")];
    expect(firstFailingTest(routes, tests)?.name).toBe("b");
  });
});

describe("stubToEdit", () => {
  const routes = testLesson(9, ["users-route.ts", "user-by-id-route.ts"]);
  const test = (file: string, failure?: TestOutcome["failure"]): TestOutcome => ({
    file: `${routes.dir}/${file}`,
    name: "t",
    fullName: "t",
    status: "failed",
    failure,
  });

  it("is the stub that threw NotImplementedError", () => {
    const location = { file: `${routes.dir}/user-by-id-route.ts`, line: 4, column: 1 };
    const failure = {
      errorName: "NotImplementedError",
      message: "",
      notImplemented: { lesson: "lesson-9", what: "GET", location },
    };
    expect(stubToEdit(routes, test("users-route.test.ts", failure))).toBe(`${routes.dir}/user-by-id-route.ts`);
  });

  it("is the stub named like the test file otherwise", () => {
    const failure = { errorName: "AssertionError", message: "" };
    expect(stubToEdit(routes, test("user-by-id-route.test.ts", failure))).toBe(`${routes.dir}/user-by-id-route.ts`);
  });

  it("is every stub when nothing says which", () => {
    expect(stubToEdit(routes, test("other.test.ts"))).toBe(
      `${routes.dir}/users-route.ts and ${routes.dir}/user-by-id-route.ts`,
    );
  });
});
