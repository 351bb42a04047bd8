import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Lesson } from "../learner/workbook/lessons.ts";
import {
  type FirstFailure,
  type Mistake,
  firstFailureOf,
  judgeMistake,
  loadCatalogue,
  minimumMistakes,
} from "./mistake-catalogue.ts";
import type { RunResult, TestOutcome } from "../learner/runner/run-tests.ts";

const lesson: Lesson = {
  id: "lesson-2",
  pattern: "rate limiter",
  title: "Saying no politely",
  minutes: 5,
  files: [{ stub: "limiter.ts", reference: "solutions/limiter.ts" }],
  tests: ["limiter.test.ts", "more.test.ts"],
  hints: ["a", "b", "c"],
  number: 2,
  folder: "lesson-2-rate-limiter",
  dir: "lessons/lesson-2-rate-limiter",
};
const dir = "checks/authoring/mistakes/lesson-2-rate-limiter";
const implementation =
  "// Mistake: compares with <=.\nexport function allow(used: number, max: number): boolean {\n  return used <= max;\n}\n";
const entry = (file: string, extra: Record<string, unknown> = {}) => ({
  file,
  stub: "limiter.ts",
  note: "Lets one request too many through.",
  firstFailure: { test: "refuses" },
  ...extra,
});

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

function catalogue(entries: unknown, files: Record<string, string> = {}) {
  root = mkdtempSync(path.join(tmpdir(), "mistakes-"));
  mkdirSync(path.join(root, dir), { recursive: true });
  writeFileSync(path.join(root, dir, "mistakes.json"), typeof entries === "string" ? entries : JSON.stringify(entries));
  for (const [file, content] of Object.entries(files)) writeFileSync(path.join(root, dir, file), content);
  return loadCatalogue(root, lesson);
}

const six = Array.from({ length: minimumMistakes }, (_, i) => `mistake-${i + 1}.ts`);

describe("loadCatalogue", () => {
  it("reads every mistake with the stub it stands in for and its content", () => {
    const { mistakes, problems } = catalogue(
      six.map((file) => entry(file)),
      Object.fromEntries(six.map((file) => [file, implementation])),
    );
    expect(problems).toEqual([]);
    expect(mistakes).toHaveLength(minimumMistakes);
    expect(mistakes[0]).toEqual({
      ...entry("mistake-1.ts"),
      path: `${dir}/mistake-1.ts`,
      stubFile: "lessons/lesson-2-rate-limiter/limiter.ts",
      content: implementation,
    });
  });

  it("names a lesson without a catalogue", () => {
    root = mkdtempSync(path.join(tmpdir(), "mistakes-"));
    expect(loadCatalogue(root, lesson).problems).toEqual([
      `has no mistake catalogue: add ${dir}/mistakes.json with at least 6 mistakes`,
    ]);
  });

  it.each([
    ["invalid JSON", "[{", /^checks\/authoring\/mistakes\/lesson-2-rate-limiter\/mistakes\.json is not valid JSON \(/],
    [
      "an entry without a note",
      [{ file: "a.ts", stub: "limiter.ts", firstFailure: { test: "x" } }],
      /mistakes\.json at 0\.note: /,
    ],
    [
      "a firstFailure that is neither a test nor a message",
      [entry("a.ts", { firstFailure: { line: 3 } })],
      /mistakes\.json at 0\.firstFailure: /,
    ],
    [
      "a file that is not a .ts file name",
      [entry("../escape.ts")],
      /mistakes\.json at 0\.file: must be a kebab-case \.ts file name/,
    ],
  ])("refuses %s", (_, entries, problem) => {
    const { mistakes, problems } = catalogue(entries);
    expect(mistakes).toEqual([]);
    expect(problems).toEqual([expect.stringMatching(problem)]);
  });

  it("names each mistake that cannot be used, and every file the manifest does not list", () => {
    const files = {
      "no-comment.ts": implementation.replace(/^\/\/.*\n/, ""),
      "unlisted.ts": implementation,
      "fine.ts": implementation,
    };
    const { mistakes, problems } = catalogue(
      [
        entry("fine.ts"),
        entry("fine.ts"),
        entry("wrong-stub.ts", { stub: "cache.ts" }),
        entry("missing.ts"),
        entry("no-comment.ts"),
      ],
      files,
    );
    expect(mistakes.map((m) => m.file)).toEqual(["fine.ts", "fine.ts", "no-comment.ts"]);
    expect(problems).toEqual([
      `${dir}/mistakes.json lists fine.ts twice`,
      `${dir}/wrong-stub.ts replaces "cache.ts", which is not one of the lesson's stubs (limiter.ts)`,
      `${dir}/missing.ts does not exist`,
      `${dir}/no-comment.ts must start with a comment line that states its mistake`,
      `${dir}/unlisted.ts is not listed in ${dir}/mistakes.json`,
      `${dir}/mistakes.json holds 5 mistakes; a lesson needs at least 6`,
    ]);
  });
});

const mistake = (firstFailure: Mistake["firstFailure"]): Mistake => ({
  ...entry("a.ts"),
  firstFailure,
  path: `${dir}/a.ts`,
  stubFile: `${lesson.dir}/limiter.ts`,
  content: implementation,
});
const outcome = (
  file: string,
  fullName: string,
  status: TestOutcome["status"],
  message = "expected true to be false",
): TestOutcome => ({
  file: `${lesson.dir}/${file}`,
  name: fullName,
  fullName,
  status,
  ...(status === "failed" && { failure: { errorName: "AssertionError", message } }),
});
const run = (tests: TestOutcome[], fileErrors: RunResult["fileErrors"] = []): RunResult => ({
  tests,
  fileErrors,
  logs: [],
});

describe("firstFailureOf", () => {
  it("takes the first failing test in the manifest's order of test files", () => {
    const first = firstFailureOf(
      lesson,
      run([
        outcome("more.test.ts", "more › fails", "failed"),
        outcome("limiter.test.ts", "allows", "passed"),
        outcome("limiter.test.ts", "refuses", "failed"),
      ]),
      [],
    );
    expect(first).toMatchObject({ kind: "test", test: { fullName: "refuses" } });
  });

  it("puts a type error first, then an error outside the tests", () => {
    const typeError = {
      file: `${lesson.dir}/limiter.ts`,
      line: 2,
      column: 3,
      code: "TS2322",
      message: "Type 'string' is not assignable to type 'boolean'.",
    };
    const unhandled = { file: "", failure: { errorName: "ApiError", message: "Missing or invalid token" } };
    const failing = run([outcome("limiter.test.ts", "refuses", "failed")], [unhandled]);
    expect(firstFailureOf(lesson, failing, [typeError])).toEqual({ kind: "type", diagnostic: typeError });
    expect(firstFailureOf(lesson, failing, [])).toEqual({ kind: "load", error: unhandled });
  });

  it("finds nothing when every test passes", () => {
    expect(firstFailureOf(lesson, run([outcome("limiter.test.ts", "refuses", "passed")]), [])).toBeUndefined();
  });
});

describe("judgeMistake", () => {
  const failingTest = (fullName: string, message?: string): FirstFailure => ({
    kind: "test",
    test: outcome("limiter.test.ts", fullName, "failed", message),
  });

  it.each<[string, Mistake["firstFailure"], FirstFailure]>([
    [
      "words of the first failing test's name, whatever their case and spacing",
      { test: "Refuses  a request" },
      failingTest("limiter › refuses a request at the limit"),
    ],
    [
      "words of its message",
      { message: "expected true" },
      failingTest("limiter › refuses", "expected true to be false"),
    ],
    [
      "words of an unhandled error's message",
      { message: "invalid token" },
      { kind: "load", error: { file: "", failure: { errorName: "ApiError", message: "Missing or invalid token" } } },
    ],
  ])("counts a mistake as caught when the first failure matches %s", (_, expected, first) => {
    expect(judgeMistake(mistake(expected), first)).toEqual({ caught: true });
  });

  it.each<[string, Mistake["firstFailure"], FirstFailure | undefined, string]>([
    ["no test fails", { test: "refuses" }, undefined, "every test passes"],
    [
      "another test fails first",
      { test: "refuses" },
      failingTest("allows a request", "expected false to be true\nmore"),
      "the first failure is “allows a request” (expected false to be true), not a test named like “refuses”",
    ],
    [
      "the message is another",
      { message: "Retry-After" },
      failingTest("refuses"),
      "the first failure is “refuses” (expected true to be false), not a message containing “Retry-After”",
    ],
    [
      "it does not type-check",
      { test: "refuses" },
      {
        kind: "type",
        diagnostic: {
          file: `${lesson.dir}/limiter.ts`,
          line: 2,
          column: 3,
          code: "TS2322",
          message: "Type 'string' is not assignable.",
        },
      },
      "it does not type-check at lessons/lesson-2-rate-limiter/limiter.ts:2: Type 'string' is not assignable.",
    ],
    [
      "a test file cannot load",
      { test: "refuses" },
      {
        kind: "load",
        error: {
          file: `${lesson.dir}/limiter.test.ts`,
          failure: { errorName: "SyntaxError", message: "Unexpected token" },
        },
      },
      "lessons/lesson-2-rate-limiter/limiter.test.ts cannot load: Unexpected token, not a test named like “refuses”",
    ],
  ])("says why a mistake is not caught when %s", (_, expected, first, reason) => {
    expect(judgeMistake(mistake(expected), first)).toEqual({ caught: false, reason });
  });
});
