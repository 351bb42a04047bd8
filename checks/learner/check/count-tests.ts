import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Env } from "../cli/env.ts";
import { type Lesson, testPaths } from "../workbook/lessons.ts";

// How many tests some test files hold, without running them: vitest's list mode only collects.
// A few seconds, where a run of every lesson takes most of a minute.

interface ListedTest {
  /** Relative to the root, forward slashes. */
  file: string;
  name: string;
  /** Suite and test names joined with " › ", as the CLI shows them. */
  fullName: string;
}

export async function countTests(
  root: string,
  testFiles: string[],
  env: Env = process.env,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>(testFiles.map((file) => [file, 0]));
  for (const { file } of await listTests(root, testFiles, env)) counts.set(file, (counts.get(file) ?? 0) + 1);
  return counts;
}

/** The tests of some test files, collected without running them. */
export async function listTests(root: string, testFiles: string[], env: Env = process.env): Promise<ListedTest[]> {
  const dir = mkdtempSync(path.join(tmpdir(), "workbook-count-"));
  const output = path.join(dir, "tests.json");
  try {
    const vitest = path.join(root, "node_modules", "vitest", "vitest.mjs");
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [vitest, "list", `--json=${output}`, ...testFiles], {
        cwd: root,
        env: { ...env, WORKBOOK_TARGET: "stub", NEXT_TELEMETRY_DISABLED: "1" } as unknown as NodeJS.ProcessEnv,
        stdio: "ignore",
      });
      child.on("error", reject);
      child.on("close", resolve);
    });
    if (code !== 0) throw new Error(`vitest list exited with ${code}`);
    const listed = JSON.parse(readFileSync(output, "utf8")) as { file: string; name: string }[];
    return listed.map(({ file, name }) => {
      const parts = name.split(" > ");
      return {
        file: path.relative(root, file).split(path.sep).join("/"),
        name: parts[parts.length - 1]!,
        fullName: parts.join(" › "),
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Each lesson's number of tests, counted without running them; empty when vitest cannot list them. */
export async function countLessonTests(
  ctx: { root: string; env: Env; out: { warn(line: string): void } },
  lessons: readonly Lesson[],
): Promise<Map<string, number>> {
  if (lessons.length === 0) return new Map();
  try {
    const perFile = await countTests(ctx.root, lessons.flatMap(testPaths), ctx.env);
    const total = (lesson: Lesson) => testPaths(lesson).reduce((sum, file) => sum + (perFile.get(file) ?? 0), 0);
    return new Map(lessons.map((lesson) => [lesson.id, total(lesson)]));
  } catch (error) {
    ctx.out.warn(
      `the tests of ${lessons.map((l) => l.id).join(", ")} could not be counted (${(error as Error).message}).`,
    );
    return new Map();
  }
}
