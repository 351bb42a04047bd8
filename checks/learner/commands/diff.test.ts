import { afterEach, describe, expect, it } from "vitest";
import { type FixtureWorkbook, cleanEnv, createFixtureWorkbook } from "../../testing/fixture-workbook.ts";

let workbook: FixtureWorkbook;
afterEach(() => workbook?.remove());

describe("npm run diff", () => {
  it("shows the learner's file against the reference as a unified diff", async () => {
    workbook = createFixtureWorkbook();
    expect(await workbook.run(["diff", "lesson-1"])).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        "--- lessons/lesson-1-adder/adder.ts (yours)",
        "+++ solutions/adder.ts (reference)",
        "@@ -1,5 +1,3 @@",
        '-import { notImplemented } from "../not-implemented";',
        "-",
        " export function add(a: number, b: number): number {",
        '-  return notImplemented("lesson-1", "add");',
        "+  return a + b;",
        " }",
        "Next: npm run check lesson-1",
        "",
      ].join("\n"),
    });
  });

  it("says so when the learner's file matches the reference", async () => {
    workbook = createFixtureWorkbook();
    await workbook.run(["solve", "lesson-1", "--yes"]);
    expect((await workbook.run(["diff", "lesson-1"])).stdout).toBe(
      "lessons/lesson-1-adder/adder.ts is the same as the reference.\nNext: npm run check lesson-1\n",
    );
  });

  it("colors removed lines red and added lines green when color is on", async () => {
    workbook = createFixtureWorkbook();
    const { stdout } = await workbook.run(["diff", "lesson-1"], { env: cleanEnv({ FORCE_COLOR: "1" }) });
    expect(stdout).toContain('\u001b[31m-  return notImplemented("lesson-1", "add");\u001b[39m');
    expect(stdout).toContain("\u001b[32m+  return a + b;\u001b[39m");
  });

  it("fails with one line when the reference is missing", async () => {
    workbook = createFixtureWorkbook();
    workbook.git("rm", "-q", "solutions/adder.ts");
    expect(await workbook.run(["diff", "lesson-1"])).toEqual({
      code: 1,
      stdout: "",
      stderr: "The reference solutions/adder.ts is missing from this checkout.\n",
    });
  });
});
