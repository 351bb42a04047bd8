import { afterEach, describe, expect, it } from "vitest";
import { readState } from "../workbook/state-file.ts";
import { type FixtureWorkbook, createFixtureWorkbook } from "../../testing/fixture-workbook.ts";

let workbook: FixtureWorkbook;
afterEach(() => workbook?.remove());

describe("npm run hint", () => {
  it("shows the three hints in order, one per call, and counts them", async () => {
    workbook = createFixtureWorkbook();
    const shown: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { code, stdout } = await workbook.run(["hint", "lesson-1"]);
      expect(code).toBe(0);
      shown.push(stdout.split("\n")[1]!.trim());
      expect(readState(workbook.root, () => {}).lessons["lesson-1"]?.hintsUsed).toBe(i + 1);
    }
    expect(shown).toEqual(["Use the plus sign.", "Return `a + b`.", "return a + b;"]);
  });

  it("points to the next hint until the last one", async () => {
    workbook = createFixtureWorkbook();
    expect((await workbook.run(["hint", "1"])).stdout).toContain(
      "Next: try it, then npm run check lesson-1 (npm run hint lesson-1 for hint 2)",
    );
    await workbook.run(["hint", "1"]);
    expect((await workbook.run(["hint", "1"])).stdout.trimEnd().split("\n").pop()).toBe(
      "Next: try it, then npm run check lesson-1",
    );
  });

  it("after the last hint, says there are no more and points to diff and solve", async () => {
    workbook = createFixtureWorkbook();
    for (let i = 0; i < 3; i++) await workbook.run(["hint", "adder"]);
    const { code, stdout } = await workbook.run(["hint", "adder"]);
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        "No more hints for lesson-1 adder: you have seen all 3 (they are also in lessons/lesson-1-adder/README.md).",
        "Next: compare your code with the reference (npm run diff lesson-1), or copy it in (npm run solve lesson-1)",
        "",
      ].join("\n"),
    );
    expect(readState(workbook.root, () => {}).lessons["lesson-1"]?.hintsUsed).toBe(3);
  });

  it("gives the current lesson's hint when no lesson is named", async () => {
    workbook = createFixtureWorkbook();
    await workbook.run(["solve", "lesson-1", "--yes"]);
    expect((await workbook.run(["hint"])).stdout).toMatch(/^Hint 1 of 3 for lesson-2 rate limiter:/);
  });

  it("counts hints per lesson", async () => {
    workbook = createFixtureWorkbook();
    await workbook.run(["hint", "1"]);
    await workbook.run(["hint", "1"]);
    await workbook.run(["hint", "2"]);
    const { lessons } = readState(workbook.root, () => {});
    expect([lessons["lesson-1"]?.hintsUsed, lessons["lesson-2"]?.hintsUsed]).toEqual([2, 1]);
  });

  it("recovers from a corrupt state file with one warning and counts from zero", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(".workbook/state.json", "{ not json");
    const { code, stdout, stderr } = await workbook.run(["hint", "1"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Hint 1 of 3/);
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(stderr).toContain("state.json was unreadable");
    expect(readState(workbook.root, () => {}).lessons["lesson-1"]?.hintsUsed).toBe(1);
  });
});
