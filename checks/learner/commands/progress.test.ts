import { afterEach, describe, expect, it } from "vitest";
import { writeState } from "../workbook/state-file.ts";
import {
  type FixtureWorkbook,
  cleanEnv,
  createFixtureWorkbook,
  fixtureLesson,
} from "../../testing/fixture-workbook.ts";

let workbook: FixtureWorkbook;
afterEach(() => workbook?.remove());

const three = () =>
  createFixtureWorkbook([fixtureLesson(1, "adder"), fixtureLesson(2, "rate limiter"), fixtureLesson(3, "cache")]);

describe("npm run progress", () => {
  it("marks each lesson passed, started or not started, with the current one marked", async () => {
    workbook = three();
    writeState(workbook.root, {
      version: 1,
      current: "lesson-2",
      lessons: {
        "lesson-1": { passed: true, testsPassing: 2, testsTotal: 2, hintsUsed: 0, solved: false },
        "lesson-2": { passed: false, testsPassing: 1, testsTotal: 2, hintsUsed: 1, solved: false },
      },
    });
    expect(await workbook.run(["progress"])).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        "Progress: 1 of 3 lessons done",
        "  ✓ lesson-1 adder         2/2 tests",
        "  ◐ lesson-2 rate limiter  1/2 tests · 1 hint ← current",
        "  ○ lesson-3 cache",
        "  ✓ passed  ◆ solved by copying the reference  ◐ started  ○ not started",
        "Next: npm run check lesson-2 (or npm start to work on it in watch mode)",
        "",
      ].join("\n"),
    });
  });

  it("counts a lesson where only hints were used as started", async () => {
    workbook = three();
    await workbook.run(["hint", "lesson-3"]);
    expect((await workbook.run(["progress"])).stdout).toContain("  ◐ lesson-3 cache         1 hint");
  });

  it("shows a solved lesson as ◆ with its every test passing, as report and the room do", async () => {
    workbook = three();
    await workbook.run(["solve", "lesson-2", "--yes"]);
    expect((await workbook.run(["progress"])).stdout).toContain(
      "  ◆ lesson-2 rate limiter  2/2 tests · solved by copying the reference\n",
    );
  });

  it("says what to do when every lesson is done", async () => {
    workbook = three();
    await workbook.run(["solve", "--through", "lesson-3", "--yes"]);
    const { stdout } = await workbook.run(["progress"]);
    expect(stdout).toContain("Progress: 3 of 3 lessons done");
    expect(stdout.trimEnd().split("\n").pop()).toBe(
      "Next: all 3 lessons pass. Well done! npm run report shows your summary",
    );
  });

  it("colors the marks when FORCE_COLOR is set, even into a pipe", async () => {
    workbook = three();
    await workbook.run(["solve", "lesson-1", "--yes"]);
    await workbook.run(["hint", "lesson-2"]);
    const { stdout } = await workbook.run(["progress"], { env: cleanEnv({ FORCE_COLOR: "1" }) });
    expect(stdout).toContain("\u001b[35m◆\u001b[39m");
    expect(stdout).toContain("\u001b[33m◐\u001b[39m");
  });

  it("prints no color on a terminal when NO_COLOR is set", async () => {
    workbook = three();
    const { stdout } = await workbook.run(["progress"], {
      env: cleanEnv({ NO_COLOR: "1" }),
      stdout: { isTTY: true, write: () => true },
    });
    expect(stdout).not.toContain("\u001b[");
    expect(stdout).toContain("○ lesson-1 adder");
  });

  it("colors a terminal's output", async () => {
    workbook = three();
    const { stdout } = await workbook.run(["progress"], { stdout: { isTTY: true, write: () => true } });
    expect(stdout).toContain("\u001b[1mProgress: 0 of 3 lessons done\u001b[22m");
  });
});
