import { existsSync } from "node:fs";
import path from "node:path";
import type { Env } from "../cli/env.ts";
import type { CheckResult } from "./check-result.ts";
import { type Lesson, stubPath, testPaths } from "../workbook/lessons.ts";
import { type RunResult, type TestHost, runTests, learnerPool } from "../runner/run-tests.ts";
import { diagnoseCheck } from "../diagnosis/diagnose.ts";
import { type TypeDiagnostic, typecheck } from "./typecheck.ts";
import { passesBut } from "./passes-but.ts";
import { missingExecutables } from "./requires.ts";
import { UserError } from "../cli/user-error.ts";

// One check of one lesson: its tests and its type-check run side by side; first-problem.ts reduces
// the outcome to the single problem worth the learner's attention.

export type { CheckResult } from "./check-result.ts";

export function lessonFiles(lesson: Lesson): string[] {
  return [...lesson.files.map((file) => stubPath(lesson, file)), ...testPaths(lesson)];
}

function assertLessonFilesExist(root: string, lesson: Lesson): void {
  const missing = lessonFiles(lesson).filter((file) => !existsSync(path.join(root, file)));
  if (missing.length > 0) {
    throw new UserError(
      `${missing.join(" and ")} ${missing.length === 1 ? "is" : "are"} missing: ` +
        `restore with npm run reset ${lesson.id}`,
      1,
    );
  }
}

/** Executables the lesson needs (its manifest's `requires`) that are not on the PATH. */
export function missingRequirements(lesson: Lesson, env: Env = process.env): string[] {
  return missingExecutables(lesson.requires ?? [], env);
}

interface CheckOptions {
  /** A long-lived test host (watch mode); otherwise one is started for this check. */
  host?: TestHost;
  /** Files changed since the host's last run. */
  changed?: string[];
  /**
   * The host gives again the results of test files that read nothing changed since its last run
   * of them, on disk, byte for byte (kept-results.mjs): watch mode's saves.
   */
  keepUnaffected?: boolean;
  /** Told the test results as soon as they are in, before the type-check is done. */
  onTests?: (run: RunResult) => void;
  /** For WORKBOOK_TIMEOUT_MS, when this check starts its own test host. */
  env?: Env;
}

export async function checkLesson(root: string, lesson: Lesson, options: CheckOptions = {}): Promise<CheckResult> {
  assertLessonFilesExist(root, lesson);
  const tests = testPaths(lesson);
  const running = options.host
    ? options.host.run(tests, { invalidate: options.changed ?? [], keepUnaffected: options.keepUnaffected ?? false })
    : runTests(root, "stub", tests, {}, { env: options.env, pool: learnerPool });
  const testing = running.then((run) => {
    options.onTests?.(run);
    return run;
  });
  // Read while the type-check runs, and only when every test passed: notes are for code that works.
  const noting = testing.then((run) => (summarize(lesson, run, []).passed ? passesBut(root, lesson) : []));
  const [run, typeErrors, notes] = await Promise.all([
    testing,
    typecheck({ root, files: lessonFiles(lesson), incrementalKey: lesson.id, readAfter: testing }),
    noting,
  ]);
  const result = summarize(lesson, run, typeErrors);
  // A passing check may have notes on what its tests cannot see; a failing one, a diagnosis.
  return result.passed ? { ...result, passesBut: notes } : { ...result, diagnosis: diagnoseCheck(root, result) };
}

export function summarize(lesson: Lesson, run: RunResult, typeErrors: TypeDiagnostic[]): CheckResult {
  const passing = run.tests.filter((test) => test.status === "passed").length;
  const total = run.tests.length;
  const unhandled = run.unhandled ?? [];
  return {
    lesson,
    tests: run.tests,
    fileErrors: run.fileErrors,
    typeErrors,
    logs: run.logs,
    logsCut: run.logsCut ?? { lines: 0, bytes: 0 },
    unhandled,
    ...(run.aborted && { aborted: run.aborted }),
    passing,
    total,
    passed:
      total > 0 &&
      passing === total &&
      run.fileErrors.length === 0 &&
      typeErrors.length === 0 &&
      unhandled.length === 0 &&
      !run.aborted,
    // Only a check of the learner's own files is diagnosed (checkLesson): a summary alone is not.
    diagnosis: null,
  };
}
