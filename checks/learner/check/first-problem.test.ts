import { describe, expect, it } from "vitest";
import { checkResult, diagnosticIn, failedTest, passedTest, testLesson } from "../../testing/lessons.ts";
import type { Failure, RunResult, TestOutcome } from "../runner/run-tests.ts";
import type { TypeDiagnostic } from "./typecheck.ts";
import { editLocation, firstFailingTest, firstProblem, problemLocation, stubToEdit } from "./first-problem.ts";

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

describe("problemLocation: where the editor opens on a check that does not pass", () => {
  const routes = testLesson(9, ["users-route.ts", "user-by-id-route.ts"]);
  const [users, byId] = [`${routes.dir}/users-route.ts`, `${routes.dir}/user-by-id-route.ts`];
  const at = (file: string, line: number, column = 5) => ({ file, line, column });
  const failing = (failure: Partial<Failure>, file = "user-by-id-route.test.ts") => [
    failedTest(routes, "t", failure, file),
  ];
  const notWritten = (location?: ReturnType<typeof at>) => ({
    errorName: "NotImplementedError",
    notImplemented: { lesson: "lesson-9", what: "GET", ...(location && { location }) },
  });
  const cases: [string, TestOutcome[], Partial<RunResult>, TypeDiagnostic[], ReturnType<typeof at>][] = [
    ["a failed assertion: its line in the lesson's files", failing({ location: at(byId, 12) }), {}, [], at(byId, 12)],
    [
      "a test's line in the lesson's test file",
      failing({ location: at(`${routes.dir}/a.test.ts`, 30) }),
      {},
      [],
      at(`${routes.dir}/a.test.ts`, 30),
    ],
    [
      "a failure outside the lesson: where NotImplementedError was thrown",
      failing({ location: at("solutions/lib/guard.ts", 3), ...notWritten(at(users, 20)) }),
      {},
      [],
      at(users, 20),
    ],
    [
      "a failure located nowhere useful: the top of the stub it concerns",
      failing({ location: at("node_modules/x.js", 3) }),
      {},
      [],
      at(byId, 1, 1),
    ],
    [
      "a NotImplementedError without a location: the top of the stub that threw",
      failing(notWritten()),
      {},
      [],
      at(byId, 1, 1),
    ],
    [
      "a syntax error: its line",
      [],
      {},
      [{ file: users, line: 7, column: 3, code: "TS1005", message: "" }],
      at(users, 7, 3),
    ],
    [
      "a type error outside the lesson: the top of the first stub",
      [passedTest(routes, "t")],
      {},
      [{ file: "solutions/x.ts", line: 7, column: 3, code: "TS2322", message: "" }],
      at(users, 1, 1),
    ],
    [
      "a run stopped for time: the top of the stub its test file exercises",
      [],
      { aborted: { kind: "timeout", file: `${routes.dir}/users-route.test.ts` } },
      [],
      at(users, 1, 1),
    ],
    [
      "an error outside any test, at a line of the stub",
      [],
      { unhandled: [{ kind: "rejection", failure: { errorName: "Error", message: "x", location: at(byId, 9) } }] },
      [],
      at(byId, 9),
    ],
    ["no tests at all: the top of the first stub", [], {}, [], at(users, 1, 1)],
    [
      "a test counted as failing, not run (report --fresh): the top of its stub",
      [{ file: `${routes.dir}/users-route.test.ts`, name: "", fullName: "", status: "failed" }],
      {},
      [],
      at(users, 1, 1),
    ],
  ];

  it.each(cases)("opens %s", (_case, tests, extra, typeErrors, expected) => {
    expect(problemLocation(checkResult(routes, tests, extra, typeErrors))).toEqual(expected);
  });

  it("has nothing to open for a passing check", () => {
    expect(problemLocation(checkResult(routes, [passedTest(routes, "t")]))).toBeUndefined();
  });

  it("editLocation opens a pass at its first passes-but note, else at the top of the first stub", () => {
    const passed = checkResult(routes, [passedTest(routes, "t")]);
    const note = { rule: "debugger" as const, message: "m", location: `${byId}:14` };
    expect(editLocation(routes, { ...passed, passesBut: [note] })).toEqual(at(byId, 14, 1));
    expect(editLocation(routes, passed)).toEqual(at(users, 1, 1));
    expect(editLocation(routes)).toEqual(at(users, 1, 1));
    expect(editLocation(routes, checkResult(routes, failing({ location: at(byId, 12) })))).toEqual(at(byId, 12));
  });
});
