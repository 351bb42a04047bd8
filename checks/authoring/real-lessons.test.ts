import { copyFileSync, cpSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadLessons } from "../learner/workbook/lessons.ts";
import { missingExecutables } from "../learner/check/requires.ts";
import { type RunOutput, projectRoot, runCli } from "../testing/fixture-workbook.ts";

// The end-to-end promise of the workbook: for every real lesson, `npm run solve` followed by
// `npm run check` passes. It runs in a copy of the project (lessons/ copied, everything else
// linked), so the real lessons/ folder is never touched.

// A lesson whose required programs are missing here (redis-server for lesson 10) is left out:
// `npm test` says so once (solutions/testing/services-setup.ts), and CI installs them.
const lessons = loadLessons(projectRoot).lessons.filter(
  (lesson) => missingExecutables(lesson.requires ?? [], process.env).length === 0,
);
let copy: string;
let solved: RunOutput;

beforeAll(async () => {
  copy = realpathSync(mkdtempSync(path.join(tmpdir(), "workbook-copy-")));
  cpSync(path.join(projectRoot, "lessons"), path.join(copy, "lessons"), { recursive: true });
  for (const file of ["package.json", "tsconfig.json", "vitest.config.ts"])
    copyFileSync(path.join(projectRoot, file), path.join(copy, file));
  for (const folder of ["solutions", "prisma", "checks", "node_modules"])
    symlinkSync(path.join(projectRoot, folder), path.join(copy, folder), "junction");
  solved = await runCli(copy, ["solve", "--through", lessons[lessons.length - 1]!.id, "--yes"]);
  // solve counts every lesson's tests with vitest's list mode: 5 s alone, 15 s and more on a busy machine.
}, 120_000);

afterAll(() => rmSync(copy, { recursive: true, force: true }));

describe.runIf(lessons.length > 0)("every real lesson", () => {
  it("is solved by npm run solve --through the last lesson", () => {
    expect(solved.stderr).toBe("");
    expect(solved.code).toBe(0);
  });

  it.each(lessons.map((lesson) => [lesson.id, lesson.pattern]))(
    "%s (%s) passes npm run check after npm run solve",
    async (id) => {
      const { code, stdout, stderr } = await runCli(copy, ["check", id]);
      expect(stderr).toBe("");
      expect(stdout.trimEnd().split("\n").at(-2)).toMatch(/tests passing/);
      expect({
        code,
        failing: stdout
          .split("\n")
          .filter((line) => line.includes("✗") || line.startsWith("First failure") || line.includes("error at")),
      }).toEqual({ code: 0, failing: [] });
    },
  );
});
