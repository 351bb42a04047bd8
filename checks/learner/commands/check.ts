import type { ParsedArgs } from "../cli/args.ts";
import {
  type CheckResult,
  checkLesson,
  formatLocation,
  missingRequirements,
  nextAction,
} from "../check/check-lesson.ts";
import { type Context, openTestHost, openWorkbook } from "../cli/context.ts";
import type { Lesson } from "../workbook/lessons.ts";
import { missingRequirementsLine, renderCheck } from "../render/render-check.ts";
import type { WorkbookState } from "../workbook/state.ts";
import { UserError } from "../cli/user-error.ts";

// npm run check [lesson] [--json]: run one lesson's tests and type-check, explain the first
// problem, record the result, and end with exactly one next action. Exit 0 only when it passes.

export async function check(ctx: Context, args: ParsedArgs): Promise<number> {
  const workbook = openWorkbook(ctx);
  const lesson = workbook.lesson(args.positionals[0]);
  const missing = missingRequirements(lesson, ctx.env);
  if (missing.length > 0) throw new UserError(missingRequirementsLine(lesson, missing), 2);
  const host = openTestHost(ctx);
  const result = await checkLesson(ctx.root, lesson, { host }).finally(() => host.close());
  const advancedTo = workbook.record(result);
  if (args.flags.has("json")) ctx.out.line(JSON.stringify(checkJson(result, workbook.lessons, workbook.state)));
  else printCheck(ctx, result, workbook.lessons, workbook.state, advancedTo);
  return result.passed ? 0 : 1;
}

export function printCheck(
  ctx: Context,
  result: CheckResult,
  lessons: Lesson[],
  state: Readonly<WorkbookState>,
  advancedTo?: Lesson,
): void {
  const lines = renderCheck(ctx.root, result, lessons, state, ctx.out.c);
  if (advancedTo) {
    // Before the last line, so the next action stays last.
    lines.splice(
      lines.length - 1,
      0,
      ctx.out.c.green(
        `${result.lesson.id} passed. Your current lesson is now ${advancedTo.id} ${advancedTo.pattern}: read ${advancedTo.dir}/README.md`,
      ),
    );
  }
  for (const line of lines) ctx.out.line(line);
}

export interface CheckJson {
  lesson: string;
  passed: boolean;
  tests: { name: string; status: string; message?: string; location?: string }[];
  typeErrors: { file: string; line: number; column: number; code: string; message: string }[];
  /** Errors thrown outside any test, and a run stopped for time or memory. */
  problems: { kind: string; message: string; location?: string }[];
  next: string;
}

export function checkJson(result: CheckResult, lessons: Lesson[], state: Readonly<WorkbookState>): CheckJson {
  const tests = result.tests.map((test) => ({
    name: test.fullName,
    status: test.status,
    ...(test.failure && { message: test.failure.message }),
    ...(test.failure?.location && { location: formatLocation(test.failure.location) }),
  }));
  // A file that could not load has no tests to list; it still has to show up as a failure.
  const fileErrors = result.fileErrors.map((error) => ({
    name: `${error.file || "the test run"} could not run`,
    status: "failed",
    message: error.failure.message,
    ...(error.failure.location && { location: formatLocation(error.failure.location) }),
  }));
  const problems = [
    ...result.unhandled.map((u) => ({
      kind: u.kind,
      message: u.failure.message,
      ...(u.failure.location && { location: formatLocation(u.failure.location) }),
    })),
    ...(result.aborted
      ? [{ kind: result.aborted.kind, message: [result.aborted.file, result.aborted.test].filter(Boolean).join(" › ") }]
      : []),
  ];
  return {
    lesson: result.lesson.id,
    passed: result.passed,
    tests: [...tests, ...fileErrors],
    typeErrors: result.typeErrors,
    problems,
    next: nextAction(result, lessons, state),
  };
}
