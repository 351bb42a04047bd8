import { afterEach, describe, expect, it } from "vitest";
import { cleanEnv, createFixtureWorkbook, type FixtureWorkbook } from "../../testing/fixture-workbook.ts";
import { type RunResult, startTestHost, type TestHost, timeoutFrom } from "./run-tests.ts";

// Watch mode keeps one vitest alive while the learner moves from lesson to lesson, and no learner
// code may take it down: each fault below ends one run with what happened, and the next run works.

let workbook: FixtureWorkbook | undefined;
let host: TestHost | undefined;

afterEach(() => {
  host?.close();
  workbook?.remove();
  host = workbook = undefined;
});

const stub = "lessons/lesson-1-adder/adder.ts";
const tests = ["lessons/lesson-1-adder/adder.test.ts"];
const written = "export function add(a: number, b: number): number {\n  return a + b;\n}\n";
const fn = (body: string) => `export function add(a: number, b: number): number {\n${body}\n}\n`;

/** Runs the fault, then the fixed stub on the same host: the second run must pass. */
async function faultThenFix(content: string, timeoutMs: number): Promise<{ fault: RunResult; fixed: RunResult }> {
  workbook = createFixtureWorkbook();
  host = startTestHost(workbook.root, "stub", { env: cleanEnv(), pool: "threads", timeoutMs });
  workbook.write(stub, content);
  const fault = await host.run(tests, { invalidate: [stub] });
  workbook.write(stub, written);
  const fixed = await host.run(tests, { invalidate: [stub] });
  return { fault, fixed };
}

const allPassed = (run: RunResult) =>
  run.tests.length > 0 && run.tests.every((t) => t.status === "passed") && !run.aborted;

describe("a long-lived test host", () => {
  it("reports only the test files of the current run, not those of earlier runs", async () => {
    workbook = createFixtureWorkbook();
    host = startTestHost(workbook.root, "stub", { env: cleanEnv() });
    const first = await host.run(["lessons/lesson-1-adder/adder.test.ts"]);
    const second = await host.run(["lessons/lesson-2-rate-limiter/limiter.test.ts"]);

    expect(first.tests.length, "the first run has lesson 1's tests").toBeGreaterThan(0);
    expect(second.tests.length, "the second run has lesson 2's tests").toBeGreaterThan(0);
    const files = new Set(second.tests.map((test) => test.file));
    expect([...files], "the second run must not repeat lesson 1's tests").toEqual([
      "lessons/lesson-2-rate-limiter/limiter.test.ts",
    ]);
  });
});

describe("the test host's supervisor", () => {
  it("stops an infinite loop in a tested function within the limit plus a second, naming the test, then runs again", async () => {
    const started = Date.now();
    const { fault, fixed } = await faultThenFix(fn("  while (true) {}"), 3000);
    expect(fault.aborted).toEqual({ kind: "timeout", limitMs: 3000, file: tests[0], test: "add › adds two numbers" });
    expect(fault.tests).toEqual([]);
    expect(allPassed(fixed)).toBe(true);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it("stops an infinite loop at import time, naming the file that was loading", async () => {
    const { fault, fixed } = await faultThenFix(`while (true) {}\n${written}`, 3000);
    expect(fault.aborted).toEqual({ kind: "timeout", limitMs: 3000, file: tests[0] });
    expect(allPassed(fixed)).toBe(true);
  });

  it("stops a test worker that runs out of memory and says it was memory", async () => {
    const { fault, fixed } = await faultThenFix(
      fn("  const all: number[][] = [];\n  for (;;) all.push(new Array(1e6).fill(1));"),
      60_000,
    );
    expect(fault.aborted).toMatchObject({ kind: "memory", file: tests[0] });
    expect(allPassed(fixed)).toBe(true);
  });

  it("caps console output in bytes as well as lines, and counts what it cut", async () => {
    const { fault } = await faultThenFix(fn("  console.log('x'.repeat(10_000_000));\n  return a + b;"), 30_000);
    expect(allPassed(fault)).toBe(true);
    expect(fault.logs.join("").length).toBeLessThanOrEqual(64 * 1024);
    // Two tests, 10 MB each: all but the first 64 KB cut.
    expect(fault.logsCut!.bytes).toBe(2 * 10_000_001 - 64 * 1024);
  });

  it.each([
    [
      "an unhandled rejection",
      "  Promise.reject(new Error('nobody waits for me'));",
      "rejection",
      "nobody waits for me",
      18,
    ],
    [
      "an error thrown in a timer",
      "  setTimeout(() => { throw new Error('thrown in a timer'); }, 0);",
      "exception",
      "thrown in a timer",
      28,
    ],
  ])("reports %s as what it is, once, at the learner's line", async (_case, line, kind, message, column) => {
    workbook = createFixtureWorkbook();
    // The test waits a moment, so that the timer fires while the file's tests still run.
    workbook.write(
      tests[0]!,
      'import { expect, it } from "vitest";\nimport { add } from "./adder";\nit("adds", async () => {\n  expect(add(1, 2)).toBe(3);\n  await new Promise((r) => setTimeout(r, 50));\n});\nit("adds again", () => expect(add(2, 2)).toBe(4));\n',
    );
    host = startTestHost(workbook.root, "stub", { env: cleanEnv(), pool: "threads" });
    workbook.write(stub, fn(`${line}\n  return a + b;`));
    const run = await host.run(tests);
    expect(run.unhandled?.map((u) => ({ kind: u.kind, message: u.failure.message, at: u.failure.location }))).toEqual([
      { kind, message, at: { file: stub, line: 2, column } },
    ]);
  });
});

describe("timeoutFrom", () => {
  it.each([
    [{}, 10_000],
    [{ WORKBOOK_TIMEOUT_MS: "2500" }, 2500],
    [{ WORKBOOK_TIMEOUT_MS: "soon" }, 10_000],
    [{ WORKBOOK_TIMEOUT_MS: "-1" }, 10_000],
  ])("reads %j as %i ms", (env, ms) => {
    expect(timeoutFrom(env)).toBe(ms);
  });
});
