import { randomUUID } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { availableParallelism } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { cleanEnv, createFixtureWorkbook, type FixtureWorkbook } from "../../testing/fixture-workbook.ts";
import { learnerPool } from "./run-tests.ts";
import { startTestHost, type TestHost, timeoutFrom } from "./test-host.ts";
import type { RunResult } from "./vitest-results.ts";

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
  host = startTestHost(workbook.root, "stub", { env: cleanEnv(), pool: learnerPool, timeoutMs });
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

describe("a test host whose files change on disk", () => {
  it("tests exactly the files on disk, even when the caller names none as changed", async () => {
    workbook = createFixtureWorkbook();
    host = startTestHost(workbook.root, "stub", { env: cleanEnv(), pool: learnerPool });
    const adding = (sign: string) => `export function add(a: number, b: number): number {\n  return a ${sign} b;\n}\n`;
    const statuses: string[] = [];
    // No file is named as changed (no `invalidate`): the host must find out for itself.
    for (const sign of ["-", "+", "-"]) {
      workbook!.write(stub, adding(sign));
      statuses.push((await host!.run(tests)).tests.map((t) => t.status).join(" "));
    }
    expect(statuses).toEqual(["failed failed", "passed passed", "failed failed"]);
  });
});

describe("a learner's run of a lesson with several test files", () => {
  // Each file says it started, then waits for the other to say so: run one after the other, the
  // first would wait in vain and fail.
  const meetingFile = (me: string, other: string) => `import { existsSync, writeFileSync } from "node:fs";
import { expect, it, vi } from "vitest";
it("meets the other file", async () => {
  writeFileSync(${JSON.stringify(`.${me}-started`)}, "");
  await vi.waitFor(() => expect(existsSync(${JSON.stringify(`.${other}-started`)})).toBe(true), { timeout: 20_000 });
}, 30_000);
`;

  it.skipIf(availableParallelism() < 2)(
    "runs them side by side, one per core",
    async () => {
      workbook = createFixtureWorkbook();
      workbook.write("lessons/lesson-3-pair/left.test.ts", meetingFile("left", "right"));
      workbook.write("lessons/lesson-3-pair/right.test.ts", meetingFile("right", "left"));
      host = startTestHost(workbook.root, "stub", { env: cleanEnv(), pool: learnerPool, timeoutMs: 60_000 });
      const run = await host.run(["lessons/lesson-3-pair/left.test.ts", "lessons/lesson-3-pair/right.test.ts"]);
      expect(run.tests.map((test) => test.status)).toEqual(["passed", "passed"]);
    },
    60_000,
  );
});

describe("a test host of a later session", () => {
  it("tests the files on disk, not the transforms an earlier session kept of them", async () => {
    workbook = createFixtureWorkbook();
    const adding = (sign: string) => fn(`  return a ${sign} b;`);
    const statuses: string[] = [];
    for (const sign of ["+", "-", "+"]) {
      workbook.write(stub, adding(sign));
      host = startTestHost(workbook.root, "stub", { env: cleanEnv(), pool: learnerPool });
      statuses.push((await host.run(tests)).tests.map((t) => t.status).join(" "));
      host.close();
    }
    expect(statuses).toEqual(["passed passed", "failed failed", "passed passed"]);
  });

  it("keeps transforms of the tests on disk, never of the files a learner writes", async () => {
    workbook = createFixtureWorkbook();
    const mark = `marker_${randomUUID().replaceAll("-", "")}`;
    workbook.write(stub, `${written}export const ${mark}_stub = 1;\n`);
    const testFile = tests[0]!;
    workbook.write(
      testFile,
      `${readFileSync(path.join(workbook.root, testFile), "utf8")}\nexport const ${mark}_test = 1;\n`,
    );
    host = startTestHost(workbook.root, "stub", { env: cleanEnv(), pool: learnerPool });
    await host.run(tests);
    const cache = path.join(workbook.root, "node_modules", ".experimental-vitest-cache");
    const kept = readdirSync(cache, { recursive: true, encoding: "utf8" })
      .map((file) => path.join(cache, file))
      .filter((file) => statSync(file).isFile())
      .map((file) => readFileSync(file, "utf8"));
    expect(
      kept.some((code) => code.includes(`${mark}_test`)),
      "the test file's transform is kept",
    ).toBe(true);
    expect(
      kept.some((code) => code.includes(`${mark}_stub`)),
      "the stub's is not",
    ).toBe(false);
  });
});

describe("the test host's queue", () => {
  it("runs requests made at once one after the other, each answered with its own tests", async () => {
    workbook = createFixtureWorkbook();
    host = startTestHost(workbook.root, "stub", { env: cleanEnv(), pool: learnerPool });
    const [adder, limiter] = await Promise.all([
      host.run(["lessons/lesson-1-adder/adder.test.ts"]),
      host.run(["lessons/lesson-2-rate-limiter/limiter.test.ts"]),
    ]);
    expect(new Set(adder.tests.map((t) => t.file))).toEqual(new Set(["lessons/lesson-1-adder/adder.test.ts"]));
    expect(new Set(limiter.tests.map((t) => t.file))).toEqual(
      new Set(["lessons/lesson-2-rate-limiter/limiter.test.ts"]),
    );
  });

  it("refuses the runs still waiting, and any new one, once closed", async () => {
    workbook = createFixtureWorkbook();
    host = startTestHost(workbook.root, "stub", { env: cleanEnv() });
    const waiting = host.run(tests);
    host.close();
    await expect(waiting).rejects.toThrow("the test runner was closed");
    await expect(host.run(tests)).rejects.toThrow("the test runner was closed");
  });
});

describe("a test host that cannot start", () => {
  it("refuses every run, with vitest's reason, when vitest cannot start (a broken vitest.config.ts)", async () => {
    workbook = createFixtureWorkbook();
    workbook.write("vitest.config.ts", 'throw new Error("the config is broken");\n');
    host = startTestHost(workbook.root, "stub", { env: cleanEnv() });
    await expect(host.run(tests)).rejects.toThrow(/^vitest could not run: .*the config is broken/);
    await expect(host.run(tests)).rejects.toThrow(/^vitest could not run: .*the config is broken/);
  });

  it("stops the run waiting for a host that dies while loading vitest; gives up at the third death", async () => {
    workbook = createFixtureWorkbook();
    workbook.write("vitest.config.ts", 'process.kill(process.pid, "SIGKILL");\n');
    host = startTestHost(workbook.root, "stub", { env: cleanEnv() });
    const runs = await Promise.allSettled([host.run(tests), host.run(tests), host.run(tests)]);
    const crash = { kind: "crash", file: tests[0], detail: "the test runner stopped (SIGKILL)" };
    expect(runs.slice(0, 2)).toEqual([
      { status: "fulfilled", value: expect.objectContaining({ tests: [], aborted: crash }) },
      { status: "fulfilled", value: expect.objectContaining({ tests: [], aborted: crash }) },
    ]);
    expect(runs[2]).toEqual({
      status: "rejected",
      reason: new Error("vitest could not start: the test runner stopped (SIGKILL)"),
    });
  });
});

describe("the test host's supervisor", () => {
  it("stops an infinite loop in a tested function within the limit and a second, naming the test", async () => {
    const started = Date.now();
    const { fault, fixed } = await faultThenFix(fn("  while (true) {}"), 3000);
    expect(fault.aborted).toEqual({ kind: "timeout", limitMs: 3000, file: tests[0], test: "add › adds two numbers" });
    expect(fault.tests).toEqual([]);
    expect(allPassed(fixed)).toBe(true);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it("names the test that loops when an earlier test had a longer name", async () => {
    workbook = createFixtureWorkbook();
    const longThenShort = [
      'import { expect, it } from "vitest";',
      'import { add } from "./adder";',
      'it("adds two numbers, and takes the long way round to say so", () => expect(add(1, 2)).toBe(3));',
      'it("loops", () => expect(add(0, 0)).toBe(0));',
      "",
    ];
    workbook.write(tests[0]!, longThenShort.join("\n"));
    workbook.write(stub, fn("  while (a === 0) {}\n  return a + b;"));
    host = startTestHost(workbook.root, "stub", { env: cleanEnv(), pool: learnerPool, timeoutMs: 3000 });
    expect((await host.run(tests)).aborted).toEqual({ kind: "timeout", limitMs: 3000, file: tests[0], test: "loops" });
  });

  it("stops an infinite loop at import time, naming the file that was loading", async () => {
    const { fault, fixed } = await faultThenFix(`while (true) {}\n${written}`, 3000);
    expect(fault.aborted).toEqual({ kind: "timeout", limitMs: 3000, file: tests[0] });
    expect(allPassed(fixed)).toBe(true);
  });

  it("stops a run whose test host dies (learner code killing its own process), says how, then runs again", async () => {
    const { fault, fixed } = await faultThenFix(fn('  process.kill(process.pid, "SIGKILL");\n  return a + b;'), 30_000);
    expect(fault.aborted).toEqual({ kind: "crash", file: tests[0], detail: "the test runner stopped (SIGKILL)" });
    expect(allPassed(fixed)).toBe(true);
  });

  it("starts a fresh host when the host dies between runs, so the next run works", async () => {
    workbook = createFixtureWorkbook();
    host = startTestHost(workbook.root, "stub", { env: cleanEnv(), pool: learnerPool });
    // The tested function leaves the pid of the process it runs in (the host's, in a worker thread).
    const pidFile = workbook.path("host.pid");
    const leavePid = `  writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));\n  return a + b;`;
    workbook.write(stub, `import { writeFileSync } from "node:fs";\n${fn(leavePid)}`);
    expect(allPassed(await host.run(tests, { invalidate: [stub] }))).toBe(true);
    const pid = Number(readFileSync(pidFile, "utf8"));
    process.kill(pid, "SIGKILL");
    while (isAlive(pid)) await sleep(20);
    expect(allPassed(await host.run(tests, { invalidate: [stub] }))).toBe(true);
    expect(Number(readFileSync(pidFile, "utf8")), "a new host ran the second run").not.toBe(pid);
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
    const waitingTest = [
      'import { expect, it } from "vitest";',
      'import { add } from "./adder";',
      'it("adds", async () => {',
      "  expect(add(1, 2)).toBe(3);",
      "  await new Promise((r) => setTimeout(r, 50));",
      "});",
      'it("adds again", () => expect(add(2, 2)).toBe(4));',
      "",
    ];
    workbook.write(tests[0]!, waitingTest.join("\n"));
    host = startTestHost(workbook.root, "stub", { env: cleanEnv(), pool: learnerPool });
    workbook.write(stub, fn(`${line}\n  return a + b;`));
    const run = await host.run(tests);
    expect(run.unhandled?.map((u) => ({ kind: u.kind, message: u.failure.message, at: u.failure.location }))).toEqual([
      { kind, message, at: { file: stub, line: 2, column } },
    ]);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

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
