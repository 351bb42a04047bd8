import { afterEach, describe, expect, it } from "vitest";
import { cleanEnv, createFixtureWorkbook, type FixtureWorkbook } from "../testing/fixture-workbook.ts";
import { startTestHost, type TestHost } from "./run-tests.ts";

// Watch mode keeps one vitest alive while the learner moves from lesson to lesson.

let workbook: FixtureWorkbook | undefined;
let host: TestHost | undefined;

afterEach(() => {
  host?.close();
  workbook?.remove();
  host = workbook = undefined;
});

describe("a long-lived test host", () => {
  it("reports only the test files of the current run, not those of earlier runs", async () => {
    workbook = createFixtureWorkbook();
    host = startTestHost(workbook.root, "stub", { env: cleanEnv() });
    const first = await host.run(["lessons/lesson-1-adder/adder.test.ts"]);
    const second = await host.run(["lessons/lesson-2-rate-limiter/limiter.test.ts"]);

    expect(first.tests.length, "the first run has lesson 1's tests").toBeGreaterThan(0);
    expect(second.tests.length, "the second run has lesson 2's tests").toBeGreaterThan(0);
    const files = new Set(second.tests.map((test) => test.file));
    expect([...files], "the second run must not repeat lesson 1's tests").toEqual(["lessons/lesson-2-rate-limiter/limiter.test.ts"]);
  });
});
