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
import { createPatch } from "./patch.ts";

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
const referenceFile = "solutions/limiter.ts";
const reference = [
  "// How many requests a client may still make.",
  "",
  "export function allow(used: number, max: number): boolean {",
  "  return used < max;",
  "}",
  "",
  "export function remaining(used: number, max: number): number {",
  "  return Math.max(0, max - used);",
  "}",
  "",
  "export function retryAfter(msLeft: number): number {",
  "  return Math.max(1, Math.ceil(msLeft / 1000));",
  "}",
  "",
].join("\n");
const implementation = reference.replace("used < max", "used <= max");
const patch = createPatch(referenceFile, reference, implementation);
const entry = (file: string, extra: Record<string, unknown> = {}) => ({
  file,
  stub: "limiter.ts",
  title: "allow while used <= max",
  note: "Lets one request too many through.",
  learnerNote: "Your limiter seems to let one request too many through. Look at the comparison in allow.",
  firstFailure: { test: "refuses" },
  ...extra,
});

const edit = (name: string) => `\`npm run mistake -- edit lesson-2 ${name}\``;
const save = (name: string) => `\`npm run mistake -- save lesson-2 ${name}\``;

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

function catalogue(entries: unknown, files: Record<string, string> = {}, referenceText: string | null = reference) {
  root = mkdtempSync(path.join(tmpdir(), "mistakes-"));
  mkdirSync(path.join(root, dir), { recursive: true });
  mkdirSync(path.join(root, "solutions"));
  if (referenceText !== null) writeFileSync(path.join(root, referenceFile), referenceText);
  writeFileSync(path.join(root, dir, "mistakes.json"), typeof entries === "string" ? entries : JSON.stringify(entries));
  for (const [file, content] of Object.entries(files)) writeFileSync(path.join(root, dir, file), content);
  return loadCatalogue(root, lesson);
}

const six = Array.from({ length: minimumMistakes }, (_, i) => `mistake-${i + 1}.patch`);
const sixPatches = (first: string) => Object.fromEntries(six.map((file, i) => [file, i === 0 ? first : patch]));

describe("loadCatalogue", () => {
  it("reads every mistake as its reference with its patch applied, and the stub it stands in for", () => {
    const { mistakes, problems, warnings } = catalogue(
      six.map((file) => entry(file)),
      sixPatches(patch),
    );
    expect({ problems, warnings }).toEqual({ problems: [], warnings: [] });
    expect(mistakes).toHaveLength(minimumMistakes);
    expect(mistakes[0]).toEqual({
      ...entry("mistake-1.patch"),
      path: `${dir}/mistake-1.patch`,
      stubFile: "lessons/lesson-2-rate-limiter/limiter.ts",
      reference: referenceFile,
      content: implementation,
    });
  });

  it("still applies a patch when the reference changed away from its lines", () => {
    const refactored = `// Fixed windows.\n\n${reference.replace("max - used", "max - used - 0")}`;
    const { mistakes, problems } = catalogue(
      six.map((file) => entry(file)),
      sixPatches(patch),
      refactored,
    );
    expect(problems).toEqual([]);
    expect(mistakes[0]!.content).toBe(refactored.replace("used < max", "used <= max"));
  });

  it("names a lesson without a catalogue", () => {
    root = mkdtempSync(path.join(tmpdir(), "mistakes-"));
    expect(loadCatalogue(root, lesson).problems).toEqual([
      `has no mistake catalogue: add ${dir}/mistakes.json with at least 6 mistakes`,
    ]);
  });

  it.each([
    ["invalid JSON", "[{", /^checks\/authoring\/mistakes\/lesson-2-rate-limiter\/mistakes\.json is not valid JSON \(/],
    ["an entry without a note", [entry("a.patch", { note: undefined })], /mistakes\.json at 0\.note: /],
    ["an entry without a title", [entry("a.patch", { title: undefined })], /mistakes\.json at 0\.title: /],
    ["a title of two lines", [entry("a.patch", { title: "one\ntwo" })], /at 0\.title: must be one line/],
    ["a title that is a sentence", [entry("a.patch", { title: "Allows one too many." })], /at 0\.title: is a title/],
    ["an entry without a learnerNote", [entry("a.patch", { learnerNote: undefined })], /at 0\.learnerNote: /],
    [
      "a learnerNote written about the code, not to the learner",
      [entry("a.patch", { learnerNote: "Compares used with <= instead of <, so one request too many passes." })],
      /at 0\.learnerNote: speaks to the learner/,
    ],
    [
      "a learnerNote that names the catalogue",
      [entry("a.patch", { learnerNote: "Your code matches an entry of the mistake catalogue on comparisons." })],
      /at 0\.learnerNote: must not name the catalogue/,
    ],
    [
      "a firstFailure that is neither a test nor a message",
      [entry("a.patch", { firstFailure: { line: 3 } })],
      /mistakes\.json at 0\.firstFailure: /,
    ],
    [
      "a whole file instead of a patch",
      [entry("a.ts")],
      /mistakes\.json at 0\.file: must be a kebab-case \.patch file/,
    ],
    [
      "a file outside the folder",
      [entry("../escape.patch")],
      /mistakes\.json at 0\.file: must be a kebab-case \.patch/,
    ],
  ])("refuses %s", (_, entries, problem) => {
    const { mistakes, problems } = catalogue(entries);
    expect(mistakes).toEqual([]);
    expect(problems).toEqual([expect.stringMatching(problem)]);
  });

  it("names each mistake that cannot be used, every patch the manifest does not list, and warns of drafts", () => {
    const { mistakes, problems, warnings } = catalogue(
      [
        entry("fine.patch"),
        entry("fine.patch"),
        entry("wrong-stub.patch", { stub: "cache.ts" }),
        entry("missing.patch"),
      ],
      { "fine.patch": patch, "unlisted.patch": patch, "fine.ts": implementation, "notes.txt": "kept" },
    );
    expect(mistakes.map((m) => m.file)).toEqual(["fine.patch", "fine.patch"]);
    expect(problems).toEqual([
      `${dir}/mistakes.json lists fine.patch twice`,
      `${dir}/wrong-stub.patch replaces "cache.ts", which is not one of the lesson's stubs (limiter.ts)`,
      `${dir}/missing.patch does not exist: write it with ${edit("missing")}, then ${save("missing")}`,
      `${dir}/unlisted.patch is not listed in ${dir}/mistakes.json`,
      `${dir}/mistakes.json holds 4 mistakes; a lesson needs at least 6`,
    ]);
    expect(warnings).toEqual([
      `${dir}/fine.ts is a draft that verify does not use: save it as its patch with ${save("fine")}, or delete it`,
    ]);
  });

  it("refuses a learnerNote that hands over the reference's line the mistake changes", () => {
    const quoting = "Your limiter lets one request too many through: write return used < max; in allow.";
    const { mistakes, problems } = catalogue(
      six.map((file, i) => entry(file, i === 0 ? { learnerNote: quoting } : {})),
      sixPatches(patch),
    );
    expect(mistakes).toHaveLength(minimumMistakes - 1);
    expect(problems).toEqual([
      `${dir}/mistakes.json gives mistake-1 a learnerNote that quotes the reference's “return used < max;”: ` +
        "say where to look, not the fix",
    ]);
  });

  const recreate =
    `recreate it with ${edit("mistake-1")} (it keeps what still applies and shows the rest), ` +
    `make the change again, then ${save("mistake-1")}`;
  const twoHunks = createPatch(referenceFile, reference, implementation.replace("Math.ceil", "Math.round"));
  it.each<[string, string, string, string]>([
    [
      "a reference changed under the patch's lines",
      patch,
      reference.replace("export function allow", "export function allowed"),
      `no longer applies to ${referenceFile} at hunk 1 (written for line 1): the reference changed there; ${recreate}`,
    ],
    [
      "a reference changed under the second of two hunks",
      twoHunks,
      reference.replace("retryAfter(", "retryAfterSeconds("),
      `no longer applies to ${referenceFile} at hunk 2 of 2 (written for line 9): ` +
        `the reference changed there; ${recreate}`,
    ],
    [
      "a reference where the patch's lines moved and now occur twice",
      patch,
      `// moved\n${reference}${reference}`,
      `no longer applies to ${referenceFile} at hunk 1 (written for line 1): ` +
        `its lines now occur at lines 2, 15; ${recreate}`,
    ],
    [
      "a patch of another file",
      patch.replaceAll("solutions/limiter.ts", "solutions/cache.ts"),
      reference,
      `patches solutions/cache.ts, not its reference ${referenceFile}; ${recreate}`,
    ],
    [
      "a patch whose new side names another file",
      patch.replace("+++ b/solutions/limiter.ts", "+++ b/lessons/lesson-2-rate-limiter/limiter.ts"),
      reference,
      `patches lessons/lesson-2-rate-limiter/limiter.ts, not its reference ${referenceFile}; ${recreate}`,
    ],
    [
      "a malformed patch",
      patch.replace("@@ -1,7 +1,7 @@", "@@ -1,7 +1,9 @@"),
      reference,
      "cannot be read as a patch at its line 3: hunk 1 ends early: " +
        `its header promises 7 old lines and 9 new; ${recreate}`,
    ],
    [
      "a whole file stored as a patch",
      implementation,
      reference,
      `cannot be read as a patch at its line 1: it must start with a "--- a/<file>" line; ${recreate}`,
    ],
  ])("says what to do about %s", (_case, first, referenceText, problem) => {
    const { mistakes, problems } = catalogue(
      six.map((file) => entry(file)),
      sixPatches(first),
      referenceText,
    );
    expect(problems[0]).toBe(`${dir}/mistake-1.patch ${problem}`);
    expect(mistakes.map((m) => m.file)).not.toContain("mistake-1.patch");
  });

  it("names a mistake whose reference is missing", () => {
    const { problems } = catalogue(
      six.map((file) => entry(file)),
      sixPatches(patch),
      null,
    );
    expect(problems).toHaveLength(minimumMistakes);
    expect(problems[0]).toBe(`${dir}/mistake-1.patch cannot be applied: its reference ${referenceFile} does not exist`);
  });
});

const mistake = (firstFailure: Mistake["firstFailure"]): Mistake => ({
  ...entry("a.patch"),
  firstFailure,
  path: `${dir}/a.patch`,
  stubFile: `${lesson.dir}/limiter.ts`,
  reference: referenceFile,
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
    const unhandled = {
      kind: "rejection" as const,
      failure: { errorName: "ApiError", message: "Missing or invalid token" },
    };
    const failing = { ...run([outcome("limiter.test.ts", "refuses", "failed")]), unhandled: [unhandled] };
    expect(firstFailureOf(lesson, failing, [typeError])).toEqual({ kind: "type", diagnostic: typeError });
    expect(firstFailureOf(lesson, failing, [])).toEqual({ kind: "unhandled", unhandled });
  });

  it("is what npm run check shows first: a run stopped for time comes before any failing test", () => {
    const stopped = {
      ...run([outcome("limiter.test.ts", "refuses", "failed")]),
      aborted: { kind: "timeout" as const, file: "" },
    };
    expect(firstFailureOf(lesson, stopped, [])?.kind).toBe("aborted");
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
      {
        kind: "unhandled",
        unhandled: { kind: "rejection", failure: { errorName: "ApiError", message: "Missing or invalid token" } },
      },
    ],
    [
      "words of the message of a run stopped for time",
      { message: "stopped (timeout)" },
      { kind: "aborted", aborted: { kind: "timeout", file: "lessons/x.test.ts", test: "waits" } },
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
    ["no tests ran", { test: "refuses" }, { kind: "no-tests" }, "no tests ran, not a test named like “refuses”"],
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
