import { describe, expect, it } from "vitest";
import type { RawResult } from "./host-protocol.ts";
import { toFailure, toRunResult } from "./vitest-results.ts";

const root = "/project";
const frame = (file: string, line: number, column = 3) => ({ file: `${root}/${file}`, line, column });
const phases = { environment: 0, prepare: 1, setup: 2, import: 3, tests: 4 };

describe("toFailure", () => {
  it("names the function not written yet and the stub line it is in", () => {
    const failure = toFailure(root, {
      name: "NotImplementedError",
      message: "findById is not implemented yet (lesson-3). Write it, then run: npm run check lesson-3",
      lesson: "lesson-3",
      what: "findById",
      stacks: [
        frame("lessons/not-implemented.ts", 15),
        frame("lessons/lesson-3-repository/user-repository.ts", 28),
        frame("lessons/lesson-3-repository/user-repository.test.ts", 52),
      ],
    });
    expect(failure.notImplemented).toEqual({
      lesson: "lesson-3",
      what: "findById",
      location: { file: "lessons/lesson-3-repository/user-repository.ts", line: 28, column: 3 },
    });
    expect(failure.location).toEqual({ file: "lessons/lesson-3-repository/user-repository.ts", line: 28, column: 3 });
  });

  it("points at the first frame in the lesson's files, past the reference code", () => {
    const failure = toFailure(root, {
      name: "AssertionError",
      message: "expected 3 to be 5",
      expected: "5",
      actual: "3",
      stacks: [frame("solutions/lib/errors.ts", 40), frame("lessons/lesson-1-errors/errors.test.ts", 12)],
    });
    expect(failure).toMatchObject({
      errorName: "AssertionError",
      expected: "5",
      actual: "3",
      location: { file: "lessons/lesson-1-errors/errors.test.ts", line: 12 },
    });
    expect(failure.notImplemented).toBeUndefined();
  });

  it("uses the position a transform error gives, counting columns from 1", () => {
    const failure = toFailure(root, {
      name: "SyntaxError",
      message: "Unexpected token",
      loc: { file: `${root}/lessons/a/b.ts`, line: 4, column: 9 },
    });
    expect(failure.location).toEqual({ file: "lessons/a/b.ts", line: 4, column: 10 });
  });

  it("strips terminal colors from messages and diffs", () => {
    const failure = toFailure(root, {
      name: "AssertionError",
      message: "\u001b[31mexpected\u001b[39m",
      diff: "\u001b[32m- Expected\u001b[39m",
    });
    expect(failure.message).toBe("expected");
    expect(failure.diff).toBe("- Expected");
  });
});

describe("toRunResult", () => {
  const raw: RawResult = {
    modules: [
      {
        file: `${root}/lessons/lesson-1-errors/errors.test.ts`,
        phases,
        errors: [],
        tests: [
          { name: "maps codes", fullName: "ApiError > maps codes", state: "passed", errors: [] },
          {
            name: "keeps the cause",
            fullName: "ApiError > keeps the cause",
            state: "failed",
            errors: [{ name: "AssertionError", message: "expected undefined to be defined" }],
          },
          { name: "later", fullName: "later", state: "skipped", errors: [] },
        ],
      },
      {
        file: `${root}/lessons/lesson-2-validation/user.test.ts`,
        phases,
        errors: [{ name: "SyntaxError", message: "Unexpected token" }],
        tests: [],
      },
    ],
    unhandledErrors: [],
    logs: ["hello\n"],
    logsCut: { lines: 3, bytes: 120 },
    runMs: 42,
  };

  it("lists every test with its file relative to the root and its full name", () => {
    expect(toRunResult(root, raw).tests.map(({ file, fullName, status }) => ({ file, fullName, status }))).toEqual([
      { file: "lessons/lesson-1-errors/errors.test.ts", fullName: "ApiError › maps codes", status: "passed" },
      { file: "lessons/lesson-1-errors/errors.test.ts", fullName: "ApiError › keeps the cause", status: "failed" },
      { file: "lessons/lesson-1-errors/errors.test.ts", fullName: "later", status: "skipped" },
    ]);
  });

  it("keeps a failure only on failed tests", () => {
    const tests = toRunResult(root, raw).tests;
    expect(tests.map((t) => t.failure?.message)).toEqual([undefined, "expected undefined to be defined", undefined]);
  });

  it("reports a test file that could not load as a file error", () => {
    expect(toRunResult(root, raw).fileErrors).toEqual([
      {
        file: "lessons/lesson-2-validation/user.test.ts",
        failure: { errorName: "SyntaxError", message: "Unexpected token" },
      },
    ]);
  });

  it("keeps what the tests printed, and how much of it was cut", () => {
    expect(toRunResult(root, raw)).toMatchObject({ logs: ["hello"], logsCut: { lines: 3, bytes: 120 } });
  });

  it("adds up vitest's phases over the files, beside the whole run's time and each file's own", () => {
    expect(toRunResult(root, raw).profile).toEqual({
      runMs: 42,
      phases: { environment: 0, prepare: 2, setup: 4, import: 6, tests: 8 },
      files: [
        { file: "lessons/lesson-1-errors/errors.test.ts", phases },
        { file: "lessons/lesson-2-validation/user.test.ts", phases },
      ],
    });
  });
});
