import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { cleanEnv, createFixtureWorkbook, type FixtureWorkbook } from "../../testing/fixture-workbook.ts";
import { learnerPool } from "./run-tests.ts";
import { startTestHost, type TestHost } from "./test-host.ts";
import type { RunResult } from "./vitest-results.ts";

// Watch mode gives again the last results of a lesson's test files that read nothing changed
// since. Whatever changed, and however (a save, another terminal, a file added), the verdict
// must be the one a full run would give.

let workbook: FixtureWorkbook | undefined;
let host: TestHost | undefined;

afterEach(() => {
  host?.close();
  workbook?.remove();
  host = workbook = undefined;
});

const dir = "lessons/lesson-3-pair";
const tests = [`${dir}/a.test.ts`, `${dir}/b.test.ts`];
const returning = (value: number) => `export const value = (): number => ${value};\n`;
const testOf = (module: string, expected: number, extra = "") =>
  `import { expect, it } from "vitest";\nimport { value } from "./${module}";\n${extra}` +
  `it("${module} gives ${expected}", () => {\n  expect(value()).toBe(${expected});\n});\n`;

/** A lesson of two test files: a.test.ts reads a.ts, which reads helper.ts; b.test.ts reads b.ts. */
function pairLesson(): FixtureWorkbook {
  const created = createFixtureWorkbook();
  created.write(`${dir}/helper.ts`, "export const one = 1;\n");
  created.write(`${dir}/a.ts`, 'import { one } from "./helper";\nexport const value = (): number => one;\n');
  created.write(`${dir}/b.ts`, returning(2));
  created.write(tests[0]!, testOf("a", 1));
  created.write(tests[1]!, testOf("b", 2, 'console.log("b was loaded");\n'));
  return created;
}

const statuses = (run: RunResult) => run.tests.map((test) => `${test.name}: ${test.status}`);

/** Two runs first: the first reads files written a moment ago, whose content it cannot vouch for. */
async function settledHost(): Promise<TestHost> {
  workbook = pairLesson();
  host = startTestHost(workbook.root, "stub", { env: cleanEnv(), pool: learnerPool });
  await host.run(tests, { keepUnaffected: true });
  const second = await host.run(tests, { keepUnaffected: true });
  expect(statuses(second)).toEqual(["a gives 1: passed", "b gives 2: passed"]);
  return host;
}

describe("a run that keeps the results of unaffected test files", () => {
  it("keeps every result when nothing changed", async () => {
    const run = await (await settledHost()).run(tests, { keepUnaffected: true });
    expect(run.profile?.kept).toBe(2);
    expect(statuses(run)).toEqual(["a gives 1: passed", "b gives 2: passed"]);
  });

  it("runs the test file that reads a saved file, and keeps the other's results and output", async () => {
    const testHost = await settledHost();
    workbook!.write(`${dir}/b.ts`, returning(3));
    const run = await testHost.run(tests, { invalidate: [`${dir}/b.ts`], keepUnaffected: true });
    expect(run.profile?.kept, "a.test.ts read nothing of b.ts").toBe(1);
    expect(statuses(run)).toEqual(["a gives 1: passed", "b gives 2: failed"]);
    expect(run.logs.join("")).toContain("b was loaded");
  });

  it("runs a test file again when a file it reads through another changes", async () => {
    const testHost = await settledHost();
    workbook!.write(`${dir}/helper.ts`, "export const one = 11;\n");
    const run = await testHost.run(tests, { invalidate: [`${dir}/helper.ts`], keepUnaffected: true });
    expect(statuses(run)).toEqual(["a gives 1: failed", "b gives 2: passed"]);
  });

  it("finds a change nobody named: a file another terminal rewrote", async () => {
    const testHost = await settledHost();
    workbook!.write(`${dir}/a.ts`, returning(5));
    const run = await testHost.run(tests, { keepUnaffected: true });
    expect(statuses(run)).toEqual(["a gives 1: failed", "b gives 2: passed"]);
  });

  it("runs every test file again when a file is added to or deleted from the lesson's folder", async () => {
    const testHost = await settledHost();
    workbook!.write(`${dir}/notes.ts`, "export {};\n");
    expect((await testHost.run(tests, { keepUnaffected: true })).profile?.kept).toBe(0);
    rmSync(workbook!.path(`${dir}/notes.ts`));
    expect((await testHost.run(tests, { keepUnaffected: true })).profile?.kept).toBe(0);
  });

  it("runs a test file again that failed to load, even with nothing changed", async () => {
    workbook = pairLesson();
    workbook.write(tests[1]!, 'import { missing } from "./nowhere";\nmissing();\n');
    host = startTestHost(workbook.root, "stub", { env: cleanEnv(), pool: learnerPool });
    await host.run(tests, { keepUnaffected: true });
    await host.run(tests, { keepUnaffected: true });
    const run = await host.run(tests, { keepUnaffected: true });
    expect(run.profile?.kept, "only a.test.ts, which loaded").toBe(1);
    expect(run.fileErrors.map((error) => error.file)).toEqual([tests[1]]);
  });

  it("keeps nothing after a run with an error outside any test", async () => {
    workbook = pairLesson();
    workbook.write(tests[1]!, `${testOf("b", 2)}setTimeout(() => { throw new Error("late"); }, 0);\n`);
    host = startTestHost(workbook.root, "stub", { env: cleanEnv(), pool: learnerPool });
    await host.run(tests, { keepUnaffected: true });
    const run = await host.run(tests, { keepUnaffected: true });
    expect(run.profile?.kept).toBe(0);
  });

  it("keeps nothing unless asked: every file is run", async () => {
    const run = await (await settledHost()).run(tests);
    expect(run.profile?.kept).toBeUndefined();
    expect(run.profile?.files).toHaveLength(2);
  });
});
