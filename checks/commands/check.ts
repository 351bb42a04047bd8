import type { ParsedArgs } from "../lib/args.ts";
import { type CheckResult, checkLesson, formatLocation, nextAction, recordCheck } from "../lib/check-lesson.ts";
import type { Context } from "../lib/context.ts";
import { type Lesson, resolveLesson, lessonsFor } from "../lib/lessons.ts";
import { renderCheck } from "../lib/render-check.ts";
import { type WorkbookState, currentLesson, readState, updateState } from "../lib/state.ts";

// npm run check [lesson] [--json]: run one lesson's tests and type-check, explain the first
// problem, record the result, and end with exactly one next action. Exit 0 only when it passes.

export async function check(ctx: Context, args: ParsedArgs): Promise<number> {
  const { lessons } = lessonsFor(ctx);
  const warn = (line: string) => ctx.out.warn(line);
  const named = args.positionals[0];
  const lesson = named ? resolveLesson(lessons, named) : currentLesson(lessons, readState(ctx.root, warn));
  const result = await checkLesson(ctx.root, lesson);
  let advancedTo: Lesson | undefined;
  const state = updateState(ctx.root, warn, (s) => {
    advancedTo = recordCheck(s, lessons, result, ctx.now());
  });
  if (args.flags.has("json")) ctx.out.line(JSON.stringify(checkJson(result, lessons, state)));
  else printCheck(ctx, result, lessons, state, advancedTo);
  return result.passed ? 0 : 1;
}

export function printCheck(ctx: Context, result: CheckResult, lessons: Lesson[], state: WorkbookState, advancedTo?: Lesson): void {
  const lines = renderCheck(ctx.root, result, lessons, state, ctx.out.c);
  if (advancedTo) {
    // Before the last line, so the next action stays last.
    lines.splice(lines.length - 1, 0, ctx.out.c.green(`${result.lesson.id} passed. Your current lesson is now ${advancedTo.id} ${advancedTo.pattern}: read ${advancedTo.dir}/README.md`));
  }
  for (const line of lines) ctx.out.line(line);
}

export interface CheckJson {
  lesson: string;
  passed: boolean;
  tests: { name: string; status: string; message?: string; location?: string }[];
  typeErrors: { file: string; line: number; column: number; code: string; message: string }[];
  next: string;
}

export function checkJson(result: CheckResult, lessons: Lesson[], state: WorkbookState): CheckJson {
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
  return {
    lesson: result.lesson.id,
    passed: result.passed,
    tests: [...tests, ...fileErrors],
    typeErrors: result.typeErrors,
    next: nextAction(result, lessons, state),
  };
}
