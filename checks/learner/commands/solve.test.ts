import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { readState } from "../workbook/state-file.ts";
import {
  type FixtureWorkbook,
  cleanEnv,
  createFixtureWorkbook,
  fixtureLesson,
  references,
} from "../../testing/fixture-workbook.ts";

let workbook: FixtureWorkbook;
afterEach(() => workbook?.remove());

const stub = "lessons/lesson-1-adder/adder.ts";
const edit = "export function add(a: number, b: number): number {\n  return 0; // stuck\n}\n";

describe("npm run solve", () => {
  it("copies the reference in and keeps the learner's version in a backup", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(stub, edit);
    const { code, stdout } = await workbook.run(["solve", "lesson-1", "--yes"]);
    expect(code).toBe(0);
    expect(workbook.read(stub)).toBe(references["solutions/adder.ts"]);
    const backup = /Backed up your lessons\/lesson-1-adder\/adder\.ts to (\S+)/.exec(stdout)?.[1];
    expect(workbook.read(backup!)).toBe(edit);
    expect(stdout).toContain("Copied the reference into lessons/lesson-1-adder/adder.ts.");
  });

  it("refuses without --yes when there is no terminal to ask, changing nothing", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(stub, edit);
    const { code, stderr } = await workbook.run(["solve", "lesson-1"]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      "Nothing changed: add --yes to confirm (npm run solve lesson-1 --yes), since there is no terminal to ask in.\n",
    );
    expect(workbook.read(stub)).toBe(edit);
    expect(workbook.exists(".workbook/backups")).toBe(false);
  });

  it("asks on a terminal and changes nothing when the answer is no", async () => {
    workbook = createFixtureWorkbook();
    const questions: string[] = [];
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const { code } = await workbook.run(["solve", "lesson-1"], {
      stdin,
      ask: async (question) => (questions.push(question), false),
    });
    expect(code).toBe(1);
    expect(questions).toEqual([
      "Replace lessons/lesson-1-adder/adder.ts with the reference solution? Your versions are backed up first.",
    ]);
    expect(workbook.exists(".workbook/backups")).toBe(false);
  });

  it("marks the lesson solved and moves the current lesson on", async () => {
    workbook = createFixtureWorkbook();
    const { stdout } = await workbook.run(["solve", "--yes"]);
    const state = readState(workbook.root, () => {});
    expect(state.lessons["lesson-1"]).toMatchObject({ passed: true, solved: true });
    expect(state.current).toBe("lesson-2");
    expect(stdout.trimEnd().split("\n").slice(-2)).toEqual([
      "Your current lesson is lesson-2 rate limiter: read lessons/lesson-2-rate-limiter/README.md",
      "Next: npm run check lesson-2",
    ]);
  });

  it("--through lesson-N solves lessons 1 to N and makes N+1 current", async () => {
    workbook = createFixtureWorkbook([
      fixtureLesson(1, "one"),
      fixtureLesson(2, "two"),
      fixtureLesson(3, "three"),
      fixtureLesson(4, "four"),
    ]);
    const { code } = await workbook.run(["solve", "--through", "lesson-3", "--yes"]);
    expect(code).toBe(0);
    for (const n of ["1-one", "2-two", "3-three"])
      expect(workbook.read(`lessons/lesson-${n}/adder.ts`)).toBe(references["solutions/adder.ts"]);
    expect(workbook.read("lessons/lesson-4-four/adder.ts")).toContain("notImplemented");
    const state = readState(workbook.root, () => {});
    expect(state.current).toBe("lesson-4");
    expect(["lesson-1", "lesson-2", "lesson-3", "lesson-4"].map((id) => state.lessons[id]?.solved ?? false)).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it("--through works as npm passes it on: the flag as a setting, the lesson as an argument", async () => {
    workbook = createFixtureWorkbook();
    const env = cleanEnv({ npm_lifecycle_event: "solve", npm_config_through: "true", npm_config_yes: "true" });
    expect((await workbook.run(["solve", "lesson-1"], { env })).code).toBe(0);
    expect(readState(workbook.root, () => {}).current).toBe("lesson-2");
  });

  it("refuses a lesson and --through together", async () => {
    workbook = createFixtureWorkbook();
    expect(await workbook.run(["solve", "lesson-1", "--through", "lesson-2"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "Give a lesson or --through, not both: npm run solve lesson-1, or npm run solve --through lesson-2.\n",
    });
  });

  it("says so when the lesson already holds the reference", async () => {
    workbook = createFixtureWorkbook();
    await workbook.run(["solve", "lesson-1", "--yes"]);
    const { stdout } = await workbook.run(["solve", "lesson-1"]);
    expect(stdout).toContain("lessons/lesson-1-adder/adder.ts already holds the reference solution.");
  });

  it("copies the reference byte for byte", async () => {
    workbook = createFixtureWorkbook();
    const reference =
      'import { twice } from "@/twice";\r\nexport const add = (a: number, b: number) => twice(a + b) / 2; // “½”\r\n';
    workbook.write("solutions/adder.ts", reference);
    await workbook.run(["solve", "lesson-1", "--yes"]);
    expect(workbook.read(stub)).toBe(reference);
  });
});
