import { afterEach, describe, expect, it } from "vitest";
import { writeState } from "../lib/state.ts";
import { type FixtureWorkbook, createFixtureWorkbook } from "../testing/fixture-workbook.ts";

let workbook: FixtureWorkbook;
afterEach(() => workbook?.remove());

const now = () => new Date("2026-11-26T14:30:00Z");

describe("npm run report", () => {
  function recorded(): FixtureWorkbook {
    const w = createFixtureWorkbook();
    w.git("config", "user.name", "Ada Learner");
    writeState(w.root, {
      version: 1,
      current: "lesson-2",
      lessons: {
        "lesson-1": { passed: true, testsPassing: 2, testsTotal: 2, hintsUsed: 1, solved: false },
        "lesson-2": { passed: false, testsPassing: 1, testsTotal: 2, hintsUsed: 3, solved: false },
      },
    });
    return w;
  }

  it("prints a markdown summary of the recorded results", async () => {
    workbook = recorded();
    expect(await workbook.run(["report"], { now })).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        "# Workbook progress: Ada Learner",
        "",
        "- Learner: Ada Learner",
        "- Date: 2026-11-26 14:30 UTC",
        "- Lessons done: 1 of 2",
        "- Current lesson: lesson-2 rate limiter",
        "- Results: as last recorded by npm run check (npm run report --fresh re-runs them)",
        "",
        "| Lesson | Pattern | Status | Tests passing | Hints used |",
        "|---|---|---|---|---|",
        "| lesson-1 | adder | ✓ passed | 2/2 | 1 |",
        "| lesson-2 | rate limiter | ◐ started | 1/2 | 3 |",
        "",
      ].join("\n"),
    });
  });

  it("writes the same summary to a file with --out, creating its folder", async () => {
    workbook = recorded();
    const printed = (await workbook.run(["report"], { now })).stdout;
    expect(await workbook.run(["report", "--out", "reports/ada.md"], { now })).toEqual({ code: 0, stdout: "Report written to reports/ada.md\n", stderr: "" });
    expect(workbook.read("reports/ada.md")).toBe(printed);
  });

  it("says that a lesson was solved with the reference rather than passed", async () => {
    workbook = recorded();
    await workbook.run(["solve", "lesson-2", "--yes"]);
    expect((await workbook.run(["report"], { now })).stdout).toContain("| lesson-2 | rate limiter | ✓ solved (reference copied in) | 1/2 | 3 |");
  });

  it("re-runs every lesson's checks with --fresh", async () => {
    workbook = recorded();
    await workbook.run(["solve", "lesson-2", "--yes"]);
    const { code, stdout } = await workbook.run(["report", "--fresh"], { now });
    expect(code).toBe(0);
    expect(stdout).toContain("| lesson-1 | adder | ◐ started | 0/2 | 1 |");
    expect(stdout).toContain("| lesson-2 | rate limiter | ✓ solved (reference copied in) | 2/2 | 3 |");
    expect(stdout).toContain("- Results: re-run just now");
  });
});
