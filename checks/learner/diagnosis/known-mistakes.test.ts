import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkResult, failedTest, passedTest, testLesson } from "../../testing/lessons.ts";
import { diagnoseCheck } from "./diagnose.ts";
import { type KnownMistakes, knownMistakesFile, loadKnownMistakes, testsKey } from "./known-mistakes.ts";

// The recorded signatures a learner's CLI reads at run time: by path, once per process, and only
// trusted against the very tests they were taken from.

const lesson = testLesson(6, ["limiter.ts"]);
const testFile = `${lesson.dir}/limiter.test.ts`;
const tests = 'import { it } from "vitest";\nit("refuses the next", () => {});\n';

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

function workbook(files: Record<string, string> = { [testFile]: tests }): string {
  root = mkdtempSync(path.join(tmpdir(), "known-mistakes-"));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  return root;
}

function record(content: unknown): void {
  mkdirSync(path.dirname(path.join(root, knownMistakesFile(lesson))), { recursive: true });
  writeFileSync(
    path.join(root, knownMistakesFile(lesson)),
    typeof content === "string" ? content : JSON.stringify(content),
  );
}

const knownFor = (key: string): KnownMistakes => ({
  lesson: lesson.id,
  tests: key,
  mistakes: [
    {
      mistake: "allows-one-request-too-many",
      stub: "limiter.ts",
      title: "allow while used <= max",
      note: "Your limiter seems to let one request too many through.",
      source: "fedcba9876543210",
      signature: {
        files: ["limiter.test.ts"],
        first: [{ kind: "test", file: "limiter.test.ts", test: "refuses the next", error: "AssertionError" }],
        failing: { "limiter.test.ts": ["refuses the next"] },
      },
    },
  ],
});

const failing = () =>
  checkResult(lesson, [
    passedTest(lesson, "allows one"),
    failedTest(lesson, "refuses the next", {}, "limiter.test.ts"),
  ]);

describe("testsKey", () => {
  it("is the same for the same tests, whatever their line ends", () => {
    const lf = testsKey(workbook(), lesson);
    rmSync(root, { recursive: true });
    expect(testsKey(workbook({ [testFile]: tests.replaceAll("\n", "\r\n") }), lesson)).toBe(lf);
  });

  it("changes when a test changes, and is unknown while a test file is missing", () => {
    const before = testsKey(workbook(), lesson);
    writeFileSync(path.join(root, testFile), tests.replace("refuses the next", "refuses the one after"));
    expect(testsKey(root, lesson)).not.toBe(before);
    rmSync(path.join(root, testFile));
    expect(testsKey(root, lesson)).toBeUndefined();
  });
});

describe("loadKnownMistakes", () => {
  it.each([
    ["no file", undefined],
    ["a file that is not JSON", "{"],
    ["a file that breaks the format", { lesson: lesson.id, tests: "not a key", mistakes: [] }],
    ["another lesson's file", { ...knownFor("0123456789abcdef"), lesson: "lesson-7" }],
  ])("reads nothing from %s", (_case, content) => {
    workbook();
    if (content !== undefined) record(content);
    expect(loadKnownMistakes(root, lesson)).toBeUndefined();
  });

  it("reads the lesson's file once per process", () => {
    workbook();
    record(knownFor("0123456789abcdef"));
    expect(loadKnownMistakes(root, lesson)?.mistakes).toHaveLength(1);
    rmSync(path.join(root, knownMistakesFile(lesson)));
    expect(loadKnownMistakes(root, lesson)?.mistakes).toHaveLength(1);
  });
});

describe("diagnoseCheck", () => {
  it("diagnoses a learner's check against the signatures recorded for these very tests", () => {
    workbook();
    record(knownFor(testsKey(root, lesson)!));
    expect(diagnoseCheck(root, failing())?.mistake).toBe("allows-one-request-too-many");
  });

  it("says nothing once the tests are not the ones the signatures were taken from", () => {
    workbook();
    record(knownFor(testsKey(root, lesson)!));
    writeFileSync(path.join(root, testFile), `${tests}// a learner's note\n`);
    expect(diagnoseCheck(root, failing())).toBeNull();
  });
});
