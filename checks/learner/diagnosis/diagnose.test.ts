import { describe, expect, it } from "vitest";
import { checkResult, diagnosticIn, failedTest, passedTest, testLesson } from "../../testing/lessons.ts";
import type { Failure, TestOutcome } from "../runner/run-tests.ts";
import type { Lesson } from "../workbook/lessons.ts";
import { diagnose, signatureOf } from "./diagnose.ts";
import type { KnownMistake, KnownMistakes } from "./known-mistakes.ts";

// The one rule for "this looks like a known mistake": a check gets a diagnosis only when exactly
// one recorded signature fits it entirely, and never on the untouched stub.

const lesson = testLesson(6, ["limiter.ts"]);
const file = "limiter.test.ts";

const unwritten = (lessonOf: Lesson, stub: string): Partial<Failure> => ({
  errorName: "NotImplementedError",
  notImplemented: {
    lesson: lessonOf.id,
    what: "hit",
    location: { file: `${lessonOf.dir}/${stub}`, line: 3, column: 5 },
  },
});
const fail = (name: string, extra: Partial<Failure> = {}) => failedTest(lesson, name, extra, file);
const pass = (name: string) => passedTest(lesson, name, file);

function known(lessonOf: Lesson, mistakes: KnownMistake[]): KnownMistakes {
  return { lesson: lessonOf.id, tests: "0123456789abcdef", mistakes };
}

function mistake(name: string, first: string, failing: string[], extra: Partial<KnownMistake> = {}): KnownMistake {
  return {
    mistake: name,
    stub: "limiter.ts",
    title: name.replaceAll("-", " "),
    note: `You seem to have made ${name}.`,
    source: "fedcba9876543210",
    signature: {
      files: [file],
      first: [{ kind: "test", file, test: first, error: "AssertionError" }],
      failing: { [file]: failing },
    },
    ...extra,
  };
}

// Four tests; three mistakes that fail them in different ways.
const names = ["allows max", "refuses the next", "counts remaining", "forgets ended windows"];
const tooFew = mistake("allows-one-too-few", "allows max", ["allows max", "counts remaining"]);
const neverForgets = mistake("never-forgets", "forgets ended windows", ["forgets ended windows"]);
const negative = mistake("remaining-goes-negative", "counts remaining", ["counts remaining"]);
const catalogue = known(lesson, [tooFew, neverForgets, negative]);

/** The four tests, those named failing with an assertion (or as given), the others passing. */
function run(failing: Record<string, Partial<Failure>>): TestOutcome[] {
  return names.map((name) => (name in failing ? fail(name, failing[name]) : pass(name)));
}

describe("diagnose", () => {
  it.each<[string, TestOutcome[], string | null]>([
    [
      "exactly the tests a mistake fails, first where it fails first",
      run({ "allows max": {}, "counts remaining": {} }),
      "allows-one-too-few",
    ],
    ["another mistake's failures", run({ "forgets ended windows": {} }), "never-forgets"],
    [
      "the mistake's first failure and one more failing test",
      run({ "allows max": {}, "counts remaining": {}, "refuses the next": {} }),
      null,
    ],
    ["the mistake's first failure without the rest of its failures", run({ "allows max": {} }), null],
    [
      "the mistake's tests failing through another kind of error (a crash, not a wrong answer)",
      run({ "allows max": { errorName: "TypeError" }, "counts remaining": {} }),
      null,
    ],
    [
      "the untouched stub: every test not written yet",
      names.map((name) => fail(name, unwritten(lesson, "limiter.ts"))),
      null,
    ],
    [
      "a stub half written: the mistake's failures, and a test not written yet",
      run({ "allows max": {}, "counts remaining": {}, "refuses the next": unwritten(lesson, "limiter.ts") }),
      null,
    ],
    [
      "a test not written yet that the mistake fails anyway",
      run({ "allows max": {}, "counts remaining": unwritten(lesson, "limiter.ts") }),
      null,
    ],
    ["a failure no mistake makes", run({ "refuses the next": {} }), null],
    ["a lesson that passes", run({}), null],
  ])("given %s, says %s", (_case, tests, expected) => {
    expect(diagnose(checkResult(lesson, tests), catalogue)?.mistake ?? null).toBe(expected);
  });

  it("gives the mistake's name, its title for the room and its note for the learner", () => {
    expect(diagnose(checkResult(lesson, run({ "counts remaining": {} })), catalogue)).toEqual({
      mistake: "remaining-goes-negative",
      title: "remaining goes negative",
      note: "You seem to have made remaining-goes-negative.",
    });
  });

  it("says nothing when two mistakes fit the failure alike", () => {
    const twin = { ...negative, mistake: "remaining-overflows" };
    expect(diagnose(checkResult(lesson, run({ "counts remaining": {} })), known(lesson, [negative, twin]))).toBeNull();
  });

  it("says nothing without signatures, or with another lesson's", () => {
    const tests = run({ "counts remaining": {} });
    expect(diagnose(checkResult(lesson, tests), undefined)).toBeNull();
    expect(diagnose(checkResult(lesson, tests), { ...catalogue, lesson: "lesson-7" })).toBeNull();
  });

  it.each([
    ["a type error in the stub", {}, [diagnosticIn(lesson, "TS2322")]],
    ["a run stopped for time", { aborted: { kind: "timeout" as const, file: `${lesson.dir}/${file}` } }, []],
    [
      "an error outside any test",
      { unhandled: [{ kind: "rejection" as const, failure: { errorName: "Error", message: "boom" } }] },
      [],
    ],
    [
      "a test file that cannot load",
      { fileErrors: [{ file: `${lesson.dir}/${file}`, failure: { errorName: "Error", message: "no such export" } }] },
      [],
    ],
  ])("says nothing past %s, even beside the mistake's failures", (_case, extra, typeErrors) => {
    const tests = run({ "counts remaining": {} });
    expect(diagnose(checkResult(lesson, tests, extra, typeErrors), catalogue)).toBeNull();
  });

  it("leaves out a test that went either way while the mistake was recorded (a mistake that races)", () => {
    const racing = mistake("announce-not-awaited", "allows max", ["allows max"], {});
    racing.signature.sometimes = { [file]: ["refuses the next"] };
    const catalogueWith = known(lesson, [racing, negative]);
    expect(diagnose(checkResult(lesson, run({ "allows max": {} })), catalogueWith)?.mistake).toBe(
      "announce-not-awaited",
    );
    const both = run({ "allows max": {}, "refuses the next": {} });
    expect(diagnose(checkResult(lesson, both), catalogueWith)?.mistake).toBe("announce-not-awaited");
    const more = run({ "allows max": {}, "refuses the next": {}, "counts remaining": {} });
    expect(diagnose(checkResult(lesson, more), catalogueWith), "a test it never failed").toBeNull();
    const halfWritten = run({ "allows max": {}, "refuses the next": unwritten(lesson, "limiter.ts") });
    expect(diagnose(checkResult(lesson, halfWritten), catalogueWith), "not written yet, even there").toBeNull();
  });

  it("takes any of the first failures a racing mistake was seen to show", () => {
    const racing = mistake("announce-not-awaited", "allows max", [], {});
    racing.signature.first.push({ kind: "test", file, test: "refuses the next", error: "AssertionError" });
    racing.signature.sometimes = { [file]: ["allows max", "refuses the next"] };
    const catalogueWith = known(lesson, [racing]);
    for (const first of ["allows max", "refuses the next"])
      expect(diagnose(checkResult(lesson, run({ [first]: {} })), catalogueWith)?.mistake).toBe("announce-not-awaited");
    expect(diagnose(checkResult(lesson, run({ "counts remaining": {} })), catalogueWith)).toBeNull();
  });

  it("diagnoses a mistake whose first problem is an error outside any test, by that error", () => {
    const unhandledFirst = mistake("guard-not-awaited", "", ["refuses the next"], {});
    unhandledFirst.signature.first = [{ kind: "unhandled", error: "ApiError", message: "Missing or invalid token" }];
    const rejection = (message: string) => ({
      unhandled: [{ kind: "rejection" as const, failure: { errorName: "ApiError", message } }],
    });
    const catalogueWith = known(lesson, [negative, unhandledFirst]);
    const tests = run({ "refuses the next": {} });
    expect(
      diagnose(checkResult(lesson, tests, rejection("Missing or invalid token\n  at guard")), catalogueWith),
    ).toEqual(expect.objectContaining({ mistake: "guard-not-awaited" }));
    expect(diagnose(checkResult(lesson, tests, rejection("Forbidden")), catalogueWith)).toBeNull();
    expect(
      diagnose(checkResult(lesson, tests), catalogueWith),
      "no error outside any test: not that mistake",
    ).toBeNull();
  });
});

describe("diagnose, in a lesson with two stubs", () => {
  // Lesson 9's shape: each stub has its test file, and a third file imports both.
  const routes: Lesson = {
    ...testLesson(9, ["users.ts", "user-by-id.ts"]),
    tests: ["users.test.ts", "user-by-id.test.ts", "both.test.ts"],
  };
  const t = (name: string, testFile: string, failure?: Partial<Failure>) =>
    failure ? failedTest(routes, name, failure, testFile) : passedTest(routes, name, testFile);
  const signature = (first: string, failing: Record<string, string[]>, files: string[]) => ({
    files,
    first: [{ kind: "test" as const, file: files[0]!, test: first, error: "AssertionError" }],
    failing,
  });
  // A mistake in users.ts fails a list test and a rate-limit test of both.test.ts.
  const inUsers: KnownMistake = {
    ...mistake("created-with-200", "", []),
    stub: "users.ts",
    signature: signature("creates", { "users.test.ts": ["creates"], "both.test.ts": ["limits creates"] }, [
      "users.test.ts",
      "both.test.ts",
    ]),
  };
  const inById: KnownMistake = {
    ...mistake("delete-without-role", "", []),
    stub: "user-by-id.ts",
    signature: signature("deletes", { "user-by-id.test.ts": ["deletes"] }, ["user-by-id.test.ts", "both.test.ts"]),
  };
  const routesCatalogue = known(routes, [inUsers, inById]);
  const notWritten = (stub: string) => unwritten(routes, stub);
  const noLocation: Partial<Failure> = {
    errorName: "NotImplementedError",
    notImplemented: { lesson: "lesson-9", what: "GET" },
  };

  it.each<[string, TestOutcome[], string | null]>([
    [
      "the mistake in users.ts, the other stub written",
      [
        t("creates", "users.test.ts", {}),
        t("lists", "users.test.ts"),
        t("deletes", "user-by-id.test.ts"),
        t("limits creates", "both.test.ts", {}),
        t("limits reads", "both.test.ts"),
      ],
      "created-with-200",
    ],
    [
      "the mistake in users.ts, the other stub not written yet: its tests say nothing of this one",
      [
        t("creates", "users.test.ts", {}),
        t("lists", "users.test.ts"),
        t("deletes", "user-by-id.test.ts", notWritten("user-by-id.ts")),
        t("limits creates", "both.test.ts", {}),
        t("limits reads", "both.test.ts", notWritten("user-by-id.ts")),
      ],
      "created-with-200",
    ],
    [
      "the mistake in users.ts, and a shared test failing that the mistake does not fail",
      [
        t("creates", "users.test.ts", {}),
        t("lists", "users.test.ts"),
        t("deletes", "user-by-id.test.ts"),
        t("limits creates", "both.test.ts", {}),
        t("limits reads", "both.test.ts", {}),
      ],
      null,
    ],
    [
      "a test not written yet whose stub cannot be told",
      [
        t("creates", "users.test.ts", {}),
        t("lists", "users.test.ts"),
        t("deletes", "user-by-id.test.ts"),
        t("limits creates", "both.test.ts", {}),
        t("limits reads", "both.test.ts", noLocation),
      ],
      null,
    ],
    [
      "the mistake in user-by-id.ts while users.ts is not written: what is shown first is not the mistake's",
      [
        t("creates", "users.test.ts", notWritten("users.ts")),
        t("lists", "users.test.ts", notWritten("users.ts")),
        t("deletes", "user-by-id.test.ts", {}),
        t("limits creates", "both.test.ts", notWritten("users.ts")),
        t("limits reads", "both.test.ts", notWritten("users.ts")),
      ],
      null,
    ],
    [
      "the mistake in user-by-id.ts, users.ts written",
      [
        t("creates", "users.test.ts"),
        t("lists", "users.test.ts"),
        t("deletes", "user-by-id.test.ts", {}),
        t("limits creates", "both.test.ts"),
        t("limits reads", "both.test.ts"),
      ],
      "delete-without-role",
    ],
  ])("given %s, says %s", (_case, tests, expected) => {
    expect(diagnose(checkResult(routes, tests), routesCatalogue)?.mistake ?? null).toBe(expected);
  });
});

describe("signatureOf", () => {
  it("records the first problem and, per test file compared, its failing tests in order of name", () => {
    const tests = run({ "refuses the next": {}, "counts remaining": { errorName: "TypeError" } });
    const other = failedTest(lesson, "elsewhere", {}, "other.test.ts");
    expect(signatureOf(checkResult(lesson, [...tests, other]), [file, "quiet.test.ts"])).toEqual({
      files: [file, "quiet.test.ts"],
      first: [{ kind: "test", file, test: "refuses the next", error: "AssertionError" }],
      failing: { [file]: ["counts remaining", "refuses the next"] },
    });
  });

  it("records an error outside any test by its name and the first line of its message", () => {
    const unhandled = [
      { kind: "rejection" as const, failure: { errorName: "ApiError", message: "Missing token\n  at x" } },
    ];
    expect(signatureOf(checkResult(lesson, run({ "allows max": {} }), { unhandled }), [file])).toMatchObject({
      first: [{ kind: "unhandled", error: "ApiError", message: "Missing token" }],
    });
  });

  it.each([
    ["every test passes", run({}), {}, "every test passes"],
    [
      "the first failure is a test not written yet",
      run({ "allows max": unwritten(lesson, "limiter.ts") }),
      {},
      "“allows max” fails as not written yet",
    ],
    [
      "the run was stopped",
      run({ "allows max": {} }),
      { aborted: { kind: "memory" as const, file: "" } },
      "what a learner sees first is a run stopped (memory), which no diagnosis is shown under",
    ],
  ])("cannot sign a mistake when %s", (_case, tests, extra, problem) => {
    expect(signatureOf(checkResult(lesson, tests, extra), [file])).toEqual({ problem });
  });

  it("signs a run so that diagnose finds that very run again", () => {
    const result = checkResult(lesson, run({ "allows max": {}, "forgets ended windows": {} }));
    const signature = signatureOf(result, [file]);
    if ("problem" in signature) throw new Error(signature.problem);
    const both = mistake("both", "", [], { signature });
    expect(diagnose(result, known(lesson, [tooFew, both, neverForgets]))?.mistake).toBe("both");
  });
});
