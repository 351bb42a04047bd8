import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { type FixtureWorkbook, capture, cleanEnv, createFixtureWorkbook } from "../../testing/fixture-workbook.ts";
import type { Context } from "../cli/context.ts";
import type { CheckJson } from "../commands/check.ts";
import { createOutput } from "../render/output.ts";
import { startWatch } from "../watch/watch.ts";
import { loadLessons } from "../workbook/lessons.ts";
import type { LessonStatusEvent } from "../workbook/workbook.ts";
import { type KnownMistake, type KnownMistakes, knownMistakesFile, testsKey } from "./known-mistakes.ts";

// Where a diagnosis shows, on the fixture workbook with the real test runner: one line under the
// first failure in `npm run check` and in watch mode, "diagnosis" in `check --json`, and the
// mistake's name and title in the status a trainer's room hears.

let workbook: FixtureWorkbook;
afterEach(() => workbook?.remove());

const stub = "lessons/lesson-1-adder/adder.ts";
const adder = (body: string) => `export function add(a: number, b: number): number {\n  return ${body};\n}\n`;
const file = "adder.test.ts";

const known = (name: string, first: string, failing: string[], note: string): KnownMistake => ({
  mistake: name,
  stub: "adder.ts",
  title: name.replaceAll("-", " "),
  note,
  source: "0123456789abcdef",
  signature: {
    files: [file],
    first: [{ kind: "test", file, test: first, error: "AssertionError" }],
    failing: { [file]: failing },
  },
});
const dropsTheSign = known(
  "drops-the-sign",
  "add › adds a negative number",
  ["add › adds a negative number"],
  "Your add seems to add the size of b, whatever its sign. Look at what you do with b.",
);
const subtracts = known(
  "subtracts",
  "add › adds two numbers",
  ["add › adds a negative number", "add › adds two numbers"],
  "Your add seems to subtract. Look at the operator.",
);

/** The fixture workbook with signatures recorded for lesson 1's tests as they are. */
function withKnownMistakes(): FixtureWorkbook {
  workbook = createFixtureWorkbook();
  const [lesson] = loadLessons(workbook.root).lessons;
  const recorded: KnownMistakes = {
    lesson: "lesson-1",
    tests: testsKey(workbook.root, lesson!)!,
    mistakes: [dropsTheSign, subtracts],
  };
  workbook.write(knownMistakesFile(lesson!), JSON.stringify(recorded));
  return workbook;
}

const line =
  "  This looks like a known mistake: " +
  "Your add seems to add the size of b, whatever its sign. Look at what you do with b.";

describe("npm run check", () => {
  it("adds one line under the first failure saying which known mistake it looks like", async () => {
    withKnownMistakes().write(stub, adder("a + Math.abs(b)"));
    const { code, stdout } = await workbook.run(["check", "lesson-1"]);
    expect(code).toBe(1);
    expect(stdout).toContain("First failure: add › adds a negative number\n");
    expect(stdout).toContain(`  Edit lessons/lesson-1-adder/adder.ts\n${line}\n\nlesson-1 adder: 1/2 tests passing`);
  });

  it("--json carries the diagnosis as the mistake's name and its note, and null when there is none", async () => {
    withKnownMistakes().write(stub, adder("a - b"));
    const diagnosed = JSON.parse((await workbook.run(["check", "lesson-1", "--json"])).stdout) as CheckJson;
    expect(diagnosed.diagnosis).toEqual({
      mistake: "subtracts",
      note: "Your add seems to subtract. Look at the operator.",
    });
    workbook.write(stub, adder("a + b"));
    const passing = JSON.parse((await workbook.run(["check", "lesson-1", "--json"])).stdout) as CheckJson;
    expect(passing).toMatchObject({ passed: true, diagnosis: null });
  });

  it.each([
    ["the untouched stub", undefined],
    [
      "a failure of another kind than the mistakes' (a crash, not a wrong answer)",
      adder("(null as unknown as { n: number }).n"),
    ],
    ["code with a type error", `${adder("a + Math.abs(b)")}export const oops: number = "1";\n`],
  ])("says nothing on %s", async (_case, code) => {
    withKnownMistakes();
    if (code) workbook.write(stub, code);
    const { stdout } = await workbook.run(["check", "lesson-1", "--json"]);
    expect(JSON.parse(stdout)).toMatchObject({ passed: false, diagnosis: null });
  });

  it("says nothing once the learner has changed the tests the signatures were taken from", async () => {
    withKnownMistakes().write(stub, adder("a + Math.abs(b)"));
    const tests = `lessons/lesson-1-adder/${file}`;
    workbook.write(tests, workbook.read(tests).replace("adds two numbers", "adds 2 and 3"));
    const { stdout } = await workbook.run(["check", "lesson-1"]);
    expect(stdout).toContain("First failure: add › adds a negative number");
    expect(stdout).not.toContain("This looks like a known mistake");
  });

  it("tells the trainer's room the mistake's name and title, never its note", async () => {
    withKnownMistakes().write(stub, adder("a + Math.abs(b)"));
    const statuses: LessonStatusEvent[] = [];
    await workbook.run(["check", "lesson-1"], { onStatus: (status) => statuses.push(status) });
    expect(statuses.map((status) => status.diagnosis)).toEqual([
      { mistake: "drops-the-sign", title: "drops the sign" },
    ]);
  });
});

describe("npm start (watch mode)", () => {
  it("shows the same line under the first failure", async () => {
    withKnownMistakes().write(stub, adder("a + Math.abs(b)"));
    const stdout = capture();
    const env = cleanEnv();
    const ctx: Context = {
      root: workbook.root,
      out: createOutput(stdout, capture(), env),
      env,
      stdin: Object.assign(new PassThrough(), { isTTY: false }),
      now: () => new Date(),
      ask: async () => false,
    };
    let verdict!: () => void;
    const shown = new Promise<void>((resolve) => (verdict = resolve));
    const session = startWatch(ctx, { poll: false, onEvent: (event) => event.type === "verdict" && verdict() });
    await shown;
    session.stop();
    await session.done;
    expect(stdout.text()).toContain(`  Edit lessons/lesson-1-adder/adder.ts\n${line}\n`);
  });
});
