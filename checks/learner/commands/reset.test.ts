import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { chmodSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { readState, writeState } from "../workbook/state-file.ts";
import { type FixtureWorkbook, adderLesson, createFixtureWorkbook } from "../../testing/fixture-workbook.ts";

let workbook: FixtureWorkbook;
afterEach(() => workbook?.remove());

const stub = "lessons/lesson-1-adder/adder.ts";
const pristine = adderLesson.files["adder.ts"]!;
const edit = "export function add(a: number, b: number): number {\n  return a - b; // my attempt\n}\n";
const terminal = (answer: boolean) => ({
  stdin: Object.assign(new PassThrough(), { isTTY: true }),
  ask: async () => answer,
});

function backups(): string[] {
  if (!workbook.exists(".workbook/backups/lesson-1")) return [];
  return readdirSync(workbook.path(".workbook/backups/lesson-1"));
}

describe("npm run reset", () => {
  it("restores the committed stub and keeps the learner's edit in a backup", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(stub, edit);
    const { code, stdout } = await workbook.run(["reset", "lesson-1", "--yes"]);
    expect(code).toBe(0);
    expect(workbook.read(stub)).toBe(pristine);
    const backup = /Backed up your lessons\/lesson-1-adder\/adder\.ts to (\S+)/.exec(stdout)?.[1];
    expect(backup).toMatch(/^\.workbook\/backups\/lesson-1\/[\dT-]+Z\/adder\.ts$/);
    expect(workbook.read(backup!)).toBe(edit);
    expect(stdout.trimEnd().split("\n").slice(1)).toEqual([
      "Restored lessons/lesson-1-adder/adder.ts to the original stub.",
      "Next: npm run check lesson-1",
    ]);
  });

  it("refuses without --yes when there is no terminal to ask, changing nothing", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(stub, edit);
    expect(await workbook.run(["reset", "lesson-1"])).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "Nothing changed: add --yes to confirm (npm run reset lesson-1 --yes), since there is no terminal to ask in.\n",
    });
    expect(workbook.read(stub)).toBe(edit);
    expect(backups()).toEqual([]);
  });

  it("asks on a terminal and resets when the answer is yes", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(stub, edit);
    expect((await workbook.run(["reset", "lesson-1"], terminal(true))).code).toBe(0);
    expect(workbook.read(stub)).toBe(pristine);
    expect(backups()).toHaveLength(1);
  });

  it("changes nothing when the answer is no", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(stub, edit);
    expect(await workbook.run(["reset", "lesson-1"], terminal(false))).toEqual({
      code: 1,
      stdout: "Nothing changed.\n",
      stderr: "",
    });
    expect(workbook.read(stub)).toBe(edit);
    expect(backups()).toEqual([]);
  });

  it("does nothing, and backs up nothing, when the file is already the original stub", async () => {
    workbook = createFixtureWorkbook();
    expect(await workbook.run(["reset", "lesson-1"])).toEqual({
      code: 0,
      stdout:
        "lessons/lesson-1-adder/adder.ts is already the original stub: nothing to reset.\nNext: npm run check lesson-1\n",
      stderr: "",
    });
    expect(backups()).toEqual([]);
  });

  it("restores a deleted stub without a backup", async () => {
    workbook = createFixtureWorkbook();
    rmSync(workbook.path(stub));
    expect((await workbook.run(["reset", "lesson-1", "--yes"])).code).toBe(0);
    expect(workbook.read(stub)).toBe(pristine);
    expect(backups()).toEqual([]);
  });

  it("keeps every earlier backup when resetting twice", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(stub, edit);
    await workbook.run(["reset", "lesson-1", "--yes"]);
    workbook.write(stub, `${edit}// second try\n`);
    await workbook.run(["reset", "lesson-1", "--yes"]);
    expect(backups()).toHaveLength(2);
  });

  it("marks the lesson as not passed any more", async () => {
    workbook = createFixtureWorkbook();
    writeState(workbook.root, {
      version: 1,
      lessons: { "lesson-1": { passed: true, testsPassing: 2, testsTotal: 2, hintsUsed: 2, solved: false } },
    });
    workbook.write(stub, edit);
    await workbook.run(["reset", "lesson-1", "--yes"]);
    expect(readState(workbook.root, () => {}).lessons["lesson-1"]).toMatchObject({
      passed: false,
      testsPassing: 0,
      hintsUsed: 2,
    });
  });

  it("fails with one clear line when the stub is not committed, changing nothing", async () => {
    workbook = createFixtureWorkbook();
    workbook.git("rm", "-q", "--cached", stub);
    workbook.git("commit", "-q", "-m", "untrack the stub");
    workbook.write(stub, edit);
    expect(await workbook.run(["reset", "lesson-1", "--yes"])).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "Cannot restore lessons/lesson-1-adder/adder.ts: lessons/lesson-1-adder/adder.ts is not committed in git.\n",
    });
    expect(workbook.read(stub)).toBe(edit);
  });

  it("fails with one clear line outside a git checkout, changing nothing", async () => {
    workbook = createFixtureWorkbook(undefined, { git: false });
    workbook.write(stub, edit);
    expect(await workbook.run(["reset", "lesson-1", "--yes"])).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "Cannot restore lessons/lesson-1-adder/adder.ts: this folder is not a git checkout, so there is no committed copy.\n",
    });
    expect(workbook.read(stub)).toBe(edit);
  });

  it("says in one line when it cannot write the stub, after keeping the learner's version", async () => {
    workbook = createFixtureWorkbook();
    // A file this process cannot write: read-only for a normal user; for root, which may write
    // anything, a link to a kernel file that refuses writes.
    if (process.getuid?.() === 0) {
      rmSync(workbook.path(stub));
      symlinkSync("/proc/version", workbook.path(stub));
    } else {
      workbook.write(stub, edit);
      chmodSync(workbook.path(stub), 0o444);
    }
    const original = workbook.read(stub);
    const { code, stdout, stderr } = await workbook.run(["reset", "lesson-1", "--yes"]);
    expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
    expect(stderr).toMatch(
      /^Could not write lessons\/lesson-1-adder\/adder\.ts \((permission denied|EIO)\)\. Your version is backed up at \S+\/adder\.ts\. Make it writable, then run npm run reset lesson-1 again\.\n$/,
    );
    const backup = /backed up at (\S+)\. Make/.exec(stderr)![1]!;
    expect(workbook.read(backup)).toBe(original);
  });
});
