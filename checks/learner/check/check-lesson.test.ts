import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import {
  type CheckResult,
  firstProblem,
  followingLesson,
  nextAction,
  recordCheck,
  stubToEdit,
  summarize,
} from "./check-lesson.ts";
import type { Lesson } from "../workbook/lessons.ts";
import { renderTests } from "../render/render-check.ts";
import type { RunResult, TestOutcome } from "../runner/run-tests.ts";
import { type WorkbookState, emptyState } from "../workbook/state.ts";
import type { TypeDiagnostic } from "./typecheck.ts";

function lesson(number: number, stubs: string[] = ["cache.ts"]): Lesson {
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

const lessons = [lesson(1), lesson(2), lesson(3)];
const l2 = lessons[1]!;

const passed = (name: string): TestOutcome => ({
  file: `${l2.dir}/cache.test.ts`,
  name,
  fullName: name,
  status: "passed",
});
const failed = (name: string, extra: Partial<TestOutcome["failure"]> = {}): TestOutcome => ({
  file: `${l2.dir}/cache.test.ts`,
  name,
  fullName: name,
  status: "failed",
  failure: { errorName: "AssertionError", message: "nope", ...extra },
});
const diagnostic = (code: string, file = `${l2.dir}/cache.ts`): TypeDiagnostic => ({
  file,
  line: 3,
  column: 7,
  code,
  message: "bad",
});

function result(
  tests: TestOutcome[],
  extra: Partial<RunResult> = {},
  typeErrors: TypeDiagnostic[] = [],
  of = l2,
): CheckResult {
  return summarize(of, { tests, fileErrors: [], logs: [], ...extra }, typeErrors);
}

describe("summarize", () => {
  it.each([
    ["every test passes and types are clean", [passed("a"), passed("b")], [], true],
    ["a test fails", [passed("a"), failed("b")], [], false],
    ["a type error remains", [passed("a")], [diagnostic("TS2322")], false],
    ["no test ran", [], [], false],
  ])("passes only when %s", (_case, tests, types, expected) => {
    expect(result(tests, {}, types).passed).toBe(expected);
  });

  it("counts passing tests out of all", () => {
    expect(result([passed("a"), failed("b"), failed("c")])).toMatchObject({ passing: 1, total: 3 });
  });
});

describe("firstProblem", () => {
  it("puts a syntax error before failing tests", () => {
    expect(firstProblem(result([failed("a")], {}, [diagnostic("TS2322"), diagnostic("TS1005")]))).toEqual({
      kind: "syntax",
      diagnostic: diagnostic("TS1005"),
    });
  });

  it("explains a file that cannot load with the lesson's type error when there is one", () => {
    const fileErrors = [{ file: `${l2.dir}/cache.test.ts`, failure: { errorName: "Error", message: "cannot load" } }];
    expect(firstProblem(result([], { fileErrors }, [diagnostic("TS2305")]))?.kind).toBe("type");
    expect(firstProblem(result([], { fileErrors }))?.kind).toBe("load");
  });

  it("picks the first failing test before any type error", () => {
    expect(firstProblem(result([passed("a"), failed("b"), failed("c")], {}, [diagnostic("TS2322")]))).toMatchObject({
      kind: "test",
      test: { name: "b" },
    });
  });

  it("reports a type error when every test passes", () => {
    expect(firstProblem(result([passed("a")], {}, [diagnostic("TS2322")]))?.kind).toBe("type");
  });

  it("finds nothing wrong with a passing lesson", () => {
    expect(firstProblem(result([passed("a")]))).toBeUndefined();
  });
});

describe("stubToEdit", () => {
  const routes = lesson(9, ["users-route.ts", "user-by-id-route.ts"]);
  const test = (file: string, failure?: TestOutcome["failure"]): TestOutcome => ({
    file: `${routes.dir}/${file}`,
    name: "t",
    fullName: "t",
    status: "failed",
    failure,
  });

  it("is the stub that threw NotImplementedError", () => {
    const location = { file: `${routes.dir}/user-by-id-route.ts`, line: 4, column: 1 };
    expect(
      stubToEdit(
        routes,
        test("users-route.test.ts", {
          errorName: "NotImplementedError",
          message: "",
          notImplemented: { lesson: "lesson-9", what: "GET", location },
        }),
      ),
    ).toBe(`${routes.dir}/user-by-id-route.ts`);
  });

  it("is the stub named like the test file otherwise", () => {
    expect(stubToEdit(routes, test("user-by-id-route.test.ts", { errorName: "AssertionError", message: "" }))).toBe(
      `${routes.dir}/user-by-id-route.ts`,
    );
  });

  it("is every stub when nothing says which", () => {
    expect(stubToEdit(routes, test("other.test.ts"))).toBe(
      `${routes.dir}/users-route.ts and ${routes.dir}/user-by-id-route.ts`,
    );
  });
});

describe("nextAction", () => {
  it.each([
    [
      "a failing test",
      result([failed("returns null for a missing email")]),
      "make “returns null for a missing email” pass in lessons/lesson-2-thing/cache.ts",
    ],
    [
      "a syntax error",
      result([], {}, [diagnostic("TS1005")]),
      "fix the syntax error at lessons/lesson-2-thing/cache.ts:3:7",
    ],
    [
      "a type error",
      result([passed("a")], {}, [diagnostic("TS2322")]),
      "fix the type error at lessons/lesson-2-thing/cache.ts:3:7",
    ],
    ["a passing lesson", result([passed("a")]), "npm run check lesson-3"],
  ])("after %s is %j", (_case, checked, action) => {
    expect(nextAction(checked, lessons, emptyState())).toBe(action);
  });

  it("sends the learner back to an open earlier lesson after the last one passes", () => {
    const state: WorkbookState = {
      version: 1,
      lessons: { "lesson-2": { passed: true, testsPassing: 1, testsTotal: 1, hintsUsed: 0, solved: false } },
    };
    expect(nextAction(result([passed("a")], {}, [], lessons[2]!), lessons, state)).toBe("npm run check lesson-1");
  });

  it("says every lesson is done when none is open", () => {
    const done = { passed: true, testsPassing: 1, testsTotal: 1, hintsUsed: 0, solved: false };
    const state: WorkbookState = { version: 1, lessons: { "lesson-1": done, "lesson-2": done } };
    expect(nextAction(result([passed("a")], {}, [], lessons[2]!), lessons, state)).toBe(
      "all 3 lessons pass. Well done! npm run report shows your summary",
    );
  });
});

describe("recordCheck", () => {
  const now = new Date("2026-11-26T10:00:00Z");

  it("records the counts of a check", () => {
    const state = emptyState();
    recordCheck(state, lessons, result([passed("a"), failed("b")]), now);
    expect(state.lessons["lesson-2"]).toMatchObject({
      passed: false,
      testsPassing: 1,
      testsTotal: 2,
      checkedAt: now.toISOString(),
    });
  });

  it("makes a failing lesson the current one", () => {
    const state: WorkbookState = { ...emptyState(), current: "lesson-1" };
    recordCheck(state, lessons, result([failed("a")]), now);
    expect(state.current).toBe("lesson-2");
  });

  it("moves on to the next lesson when the current one passes", () => {
    const state: WorkbookState = { ...emptyState(), current: "lesson-2" };
    expect(recordCheck(state, lessons, result([passed("a")]), now)?.id).toBe("lesson-3");
    expect(state.current).toBe("lesson-3");
  });

  it("leaves the current lesson alone when another lesson passes", () => {
    const state: WorkbookState = { ...emptyState(), current: "lesson-1" };
    expect(recordCheck(state, lessons, result([passed("a")]), now)).toBeUndefined();
    expect(state.current).toBe("lesson-1");
  });

  it("only records when asked not to move the current lesson", () => {
    const state: WorkbookState = { ...emptyState(), current: "lesson-1" };
    recordCheck(state, lessons, result([failed("a")]), now, false);
    expect(state.current).toBe("lesson-1");
  });
});

describe("followingLesson", () => {
  it("skips lessons already passed", () => {
    const state: WorkbookState = {
      version: 1,
      lessons: { "lesson-2": { passed: true, testsPassing: 1, testsTotal: 1, hintsUsed: 0, solved: false } },
    };
    expect(followingLesson(lessons, state, lessons[0]!)?.id).toBe("lesson-3");
  });
});

describe("firstProblem with a stub that does not fit its tests", () => {
  it("puts a type error in a test file before the failing tests", () => {
    const missingExport = diagnostic("TS2305", `${l2.dir}/cache.test.ts`);
    expect(firstProblem(result([failed("a")], {}, [missingExport]))).toEqual({
      kind: "type",
      diagnostic: missingExport,
    });
  });

  it("tells the learner to change the stub, not the test", () => {
    const missingExport = diagnostic("TS2305", `${l2.dir}/cache.test.ts`);
    expect(nextAction(result([failed("a")], {}, [missingExport]), lessons, emptyState())).toBe(
      "change lessons/lesson-2-thing/cache.ts to fit how the test uses it at lessons/lesson-2-thing/cache.test.ts:3:7",
    );
  });

  it("keeps failing tests before a type error in the stub itself", () => {
    expect(firstProblem(result([failed("a")], {}, [diagnostic("TS2322")]))?.kind).toBe("test");
  });
});

describe("recordCheck when the test file cannot load", () => {
  it("keeps the last known number of tests", () => {
    const state: WorkbookState = {
      version: 1,
      lessons: { "lesson-2": { passed: false, testsPassing: 3, testsTotal: 7, hintsUsed: 0, solved: false } },
    };
    const fileErrors = [{ file: `${l2.dir}/cache.test.ts`, failure: { errorName: "SyntaxError", message: "bad" } }];
    recordCheck(state, lessons, result([], { fileErrors }), new Date());
    expect(state.lessons["lesson-2"]).toMatchObject({ testsPassing: 0, testsTotal: 7 });
  });
});

describe("recordCheck when no current lesson is recorded", () => {
  const done = { passed: true, testsPassing: 1, testsTotal: 1, hintsUsed: 0, solved: true };

  it("treats the first open lesson as current", () => {
    const state = emptyState();
    expect(recordCheck(state, lessons, result([passed("a")], {}, [], lessons[0]!), new Date())?.id).toBe("lesson-2");
  });

  it("moves nothing when every other lesson is already done", () => {
    const state: WorkbookState = { version: 1, lessons: { "lesson-2": done, "lesson-3": done } };
    expect(recordCheck(state, lessons, result([passed("a")], {}, [], lessons[0]!), new Date())).toBeUndefined();
    expect(state.current).toBeUndefined();
  });
});

describe("renderTests", () => {
  const many = (n: number, passing: number) =>
    Array.from({ length: n }, (_, i): TestOutcome => (i < passing ? passed(`test ${i + 1}`) : failed(`test ${i + 1}`)));

  it("lists every test of a small lesson under its title, the file to edit and its README", () => {
    expect(renderTests(l2, { tests: [passed("a"), failed("b")], fileErrors: [] }, new Chalk({ level: 0 }))).toEqual([
      "lesson-2 thing · A thing",
      "Edit lessons/lesson-2-thing/cache.ts · read lessons/lesson-2-thing/README.md",
      "",
      "  ✓ a",
      "  ✗ b",
    ]);
  });

  it("keeps a big lesson's first screen short: a count, the first three failing, and how many more", () => {
    expect(renderTests(l2, { tests: many(61, 2), fileErrors: [] }, new Chalk({ level: 0 })).slice(3)).toEqual([
      "  ✓ 2 tests pass",
      "  ✗ test 3",
      "  ✗ test 4",
      "  ✗ test 5",
      "  … 56 more failing",
    ]);
  });
});
