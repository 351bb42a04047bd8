import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { type FixtureWorkbook, cleanEnv, createFixtureWorkbook } from "../../testing/fixture-workbook.ts";
import { learnerPool } from "./run-tests.ts";
import { warmPool } from "./warm-pool.mjs";
import { type HostOptions, type TestHost, startTestHost } from "./test-host.ts";
import type { RunResult } from "./vitest-results.ts";

// A learner's checks run each test file in a worker thread started, and its dependencies imported,
// before the run is asked for. What that must never change: each run tests the files on disk, and
// nothing a run did (to a global, a built-in, the environment, a module's own state) is seen by
// another run, or by another test file of the same run.

let workbook: FixtureWorkbook | undefined;
let host: TestHost | undefined;

afterEach(() => {
  host?.close();
  workbook?.remove();
  host = workbook = undefined;
});

const stub = "lessons/lesson-1-adder/adder.ts";
const test = "lessons/lesson-1-adder/adder.test.ts";

/** A stub that counts, everywhere state could outlive a run, how often it has been evaluated. */
const counting = `
const counted = globalThis as { evaluations?: number };
const builtin = Array.prototype as unknown as { evaluations?: number };
counted.evaluations = (counted.evaluations ?? 0) + 1;
builtin.evaluations = (builtin.evaluations ?? 0) + 1;
process.env.EVALUATIONS = String(Number(process.env.EVALUATIONS ?? 0) + 1);
let calls = 0;

export const seen = () => ({
  global: counted.evaluations,
  builtin: builtin.evaluations,
  env: process.env.EVALUATIONS,
  calls,
});

export function add(a: number, b: number): number {
  calls += 1;
  return a + b;
}
`;

/** A test file that passes only in a world where the stub was evaluated once and called once. */
const firstTime = (name: string) => `
import { expect, it } from "vitest";
import { add, seen } from "./adder";

it(${JSON.stringify(name)}, () => {
  expect(add(2, 3)).toBe(5);
  expect(seen()).toEqual({ global: 1, builtin: 1, env: "1", calls: 1 });
});
`;

const verdicts = (run: RunResult) => run.tests.map((t) => `${t.name}: ${t.status}`);

function start(options: Partial<HostOptions> = {}): { workbook: FixtureWorkbook; host: TestHost } {
  workbook ??= createFixtureWorkbook();
  host?.close();
  host = startTestHost(workbook.root, "stub", { env: cleanEnv(), pool: learnerPool, ...options });
  return { workbook, host };
}

describe("a learner's runs in warm test workers", () => {
  it("find their test threads started ahead: the first beside vitest's start-up, the next after a run", async () => {
    const { workbook, host } = start();
    const runs: RunResult[] = [];
    for (const save of [1, 2]) {
      workbook.write(stub, `${counting}// save ${save}\n`);
      runs.push(await host.run([test]));
    }
    expect(runs.map((run) => run.profile?.workers)).toEqual([
      { ready: 1, started: 0 },
      { ready: 1, started: 0 },
    ]);
  });

  it("find a thread started for each test file of a first run asked for while vitest starts", async () => {
    const { workbook, host } = start();
    const again = "lessons/lesson-1-adder/adder-again.test.ts";
    workbook.write(again, readFileSync(workbook.path(test), "utf8"));
    const run = await host.run([test, again]);
    expect(run.profile?.workers).toEqual(
      availableParallelism() > 1 ? { ready: 2, started: 0 } : { ready: 1, started: 1 },
    );
  });

  it("start nothing for an expected first run when no thread was started with the host, and go on", () => {
    const pool = warmPool({ root: process.cwd(), heapLimitMb: 256, onOutOfMemory: () => {} });
    pool.expect(2);
    expect(pool.takeCounts()).toEqual({ ready: 0, started: 0 });
  });

  it("give the same verdict on every save to a stub changing globals, built-ins, the environment, itself", async () => {
    const { workbook, host } = start();
    workbook.write(test, firstTime("sees a world no run touched"));
    const runs: string[][] = [];
    for (const save of [1, 2, 3]) {
      workbook.write(stub, `${counting}// save ${save}\n`);
      runs.push(verdicts(await host.run([test])));
    }
    expect(runs).toEqual([1, 2, 3].map(() => ["sees a world no run touched: passed"]));
  });

  it("evaluate the lesson's modules afresh, in a world of its own, for every test file of a run", async () => {
    const { workbook, host } = start();
    const again = "lessons/lesson-1-adder/adder-again.test.ts";
    workbook.write(stub, counting);
    workbook.write(test, firstTime("the first file sees a world no file touched"));
    workbook.write(again, firstTime("so does the second"));
    const run = await host.run([test, again]);
    expect(verdicts(run).sort()).toEqual([
      "so does the second: passed",
      "the first file sees a world no file touched: passed",
    ]);
  });

  it("answer saves made back to back, before the next workers are warm", async () => {
    const { workbook, host } = start();
    const adding = (sign: string) => `export function add(a: number, b: number): number {\n  return a ${sign} b;\n}\n`;
    const statuses: string[] = [];
    // Each run is asked for as soon as the last one answered, while the next workers still import.
    for (const sign of ["+", "*", "+"]) {
      workbook.write(stub, adding(sign));
      statuses.push((await host.run([test])).tests.map((t) => t.status).join(" "));
    }
    expect(statuses).toEqual(["passed passed", "failed failed", "passed passed"]);
  });

  it("keep what a session's runs imported, for the next session's first run to import ahead", async () => {
    workbook = createFixtureWorkbook();
    const warmImports = workbook.path(".workbook/tmp/warm-imports.json");
    const { host } = start({ warmImports });
    await host.run([test]);
    // Written once the run's result is out, not before: the learner waits for the result only.
    while (!existsSync(warmImports)) await sleep(20);
    const kept: string[] = JSON.parse(readFileSync(warmImports, "utf8"));
    expect(kept.some((id) => id.includes("/vitest/"))).toBe(true);
  });

  it("import ahead nothing from outside the project, whatever the kept list says", async () => {
    const outside = mkdtempSync(path.join(tmpdir(), "workbook-outside-"));
    const marker = path.join(outside, "imported");
    const planted = path.join(outside, "planted.mjs");
    writeFileSync(planted, `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker)}, "");\n`);
    workbook = createFixtureWorkbook();
    const warmImports = workbook.path("warm-imports.json");
    writeFileSync(warmImports, JSON.stringify([planted, `file://${planted}`]));
    try {
      const { host } = start({ warmImports });
      expect(verdicts(await host.run([test]))).toHaveLength(2);
      expect(existsSync(marker)).toBe(false);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
