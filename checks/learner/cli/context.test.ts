import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { type FixtureWorkbook, cleanEnv, createFixtureWorkbook } from "../../testing/fixture-workbook.ts";
import { createOutput } from "../render/output.ts";
import type { RunResult, TestHost } from "../runner/run-tests.ts";
import { type Context, openTestHost } from "./context.ts";

// The CLI starts vitest before `check` or `watch` has even loaded; the host travels to the
// command in its Context, is taken once, and the command closes it.

let workbook: FixtureWorkbook | undefined;
afterEach(() => {
  workbook?.remove();
  workbook = undefined;
});

/** A host that answers every run with both of lesson 1's tests passing, and counts what it was asked. */
function fakeHost() {
  const calls = { runs: [] as string[][], closed: 0 };
  const passed = (name: string) => ({
    file: "lessons/lesson-1-adder/adder.test.ts",
    name,
    fullName: `add › ${name}`,
    status: "passed" as const,
  });
  const host: TestHost = {
    run: async (files): Promise<RunResult> => {
      calls.runs.push(files);
      return { tests: [passed("adds two numbers"), passed("adds a negative number")], fileErrors: [], logs: [] };
    },
    close: () => {
      calls.closed += 1;
    },
  };
  return { host, calls };
}

describe("the test host a command runs on", () => {
  it("is the one started before the command loaded, which the check runs on and closes", async () => {
    workbook = createFixtureWorkbook();
    const { host, calls } = fakeHost();
    const { code } = await workbook.run(["check", "lesson-1"], { earlyTestHost: host });
    expect(code).toBe(0);
    expect(calls).toEqual({ runs: [["lessons/lesson-1-adder/adder.test.ts"]], closed: 1 });
  });

  it("is handed out once: the next command to ask gets a host of its own", async () => {
    workbook = createFixtureWorkbook();
    const env = cleanEnv();
    const { host } = fakeHost();
    let early: TestHost | undefined = host;
    const ctx: Context = {
      root: workbook.root,
      out: createOutput(new PassThrough(), new PassThrough(), env),
      env,
      stdin: new PassThrough(),
      now: () => new Date(),
      ask: async () => false,
      takeEarlyTestHost: () => {
        const taken = early;
        early = undefined;
        return taken;
      },
    };
    const first = openTestHost(ctx);
    const second = openTestHost(ctx);
    try {
      expect(first).toBe(host);
      expect(second).not.toBe(host);
    } finally {
      second.close();
    }
  });
});
