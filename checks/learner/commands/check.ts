import type { ParsedArgs } from "../cli/args.ts";
import { type Context, openTestHost, openWorkbook } from "../cli/context.ts";
import { UserError } from "../cli/user-error.ts";
import { type CheckResult, checkLesson, missingRequirements } from "../check/check-lesson.ts";
import { formatLocation } from "../check/first-problem.ts";
import type { PassRule } from "../check/passes-but.ts";
import { renderCheck } from "../render/check-screen.ts";
import { nextAction } from "../render/next-action.ts";
import { passesButJson } from "../render/passes-but.ts";
import { missingRequirementsLine } from "../render/requirements.ts";
import { checkNoteLines } from "../render/trainer-notes.ts";
import type { LearnerNote } from "../room/protocol.ts";
import type { Lesson } from "../workbook/lessons.ts";
import type { WorkbookView } from "../workbook/workbook.ts";

// npm run check [lesson] [--json]: run one lesson's tests and type-check, explain the first
// problem, record the result, and end with exactly one next action. Exit 0 only when it passes.
// In a room, the trainer's notes not dismissed yet follow the verdict.

export async function check(ctx: Context, args: ParsedArgs): Promise<number> {
  const workbook = openWorkbook(ctx);
  const lesson = workbook.lesson(args.positionals[0] ?? ctx.lessonHere);
  const missing = missingRequirements(lesson, ctx.env);
  if (missing.length > 0) throw new UserError(missingRequirementsLine(lesson, missing), 2);
  // Asked while the tests run, so a room that answers costs nothing, and one that does not costs
  // no more than its one short timeout, which the tests' own time mostly hides.
  const trainerNotes = ctx.room?.pending() ?? Promise.resolve(undefined);
  const host = openTestHost(ctx);
  const result = await checkLesson(ctx.root, lesson, { host }).finally(() => host.close());
  const advancedTo = workbook.record(result, "check");
  const view = workbook.view();
  const notes = (await trainerNotes) ?? [];
  if (args.flags.has("json")) ctx.out.line(JSON.stringify(checkJson(result, view, notes)));
  else {
    printCheck(ctx, result, view, advancedTo);
    for (const line of checkNoteLines(notes, ctx.out.c)) ctx.out.line(line);
  }
  return result.passed ? 0 : 1;
}

function printCheck(ctx: Context, result: CheckResult, view: WorkbookView, advancedTo?: Lesson): void {
  const lines = renderCheck(ctx.root, result, view, ctx.out.c);
  if (advancedTo) {
    // Before the last line, so the next action stays last.
    const { id, pattern, dir } = advancedTo;
    const line = `${result.lesson.id} passed. Your current lesson is now ${id} ${pattern}: read ${dir}/README.md`;
    lines.splice(lines.length - 1, 0, ctx.out.c.green(line));
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
  /** The known mistake the failure looks like (its name and the note for the learner), or null. */
  diagnosis: { mistake: string; note: string } | null;
  /** Once the lesson passes, what its tests cannot see in the learner's files; empty otherwise. */
  passesBut: { rule: PassRule; message: string; location: string }[];
  next: string;
  /** The trainer's notes to this learner not dismissed yet, in a room; empty otherwise. */
  trainerNotes: LearnerNote[];
}

function checkJson(result: CheckResult, view: WorkbookView, trainerNotes: LearnerNote[]): CheckJson {
  const located = (location?: { file: string; line: number; column: number }) =>
    location ? { location: formatLocation(location) } : {};
  const tests = result.tests.map((test) => ({
    name: test.fullName,
    status: test.status,
    ...(test.failure && { message: test.failure.message }),
    ...located(test.failure?.location),
  }));
  // A file that could not load has no tests to list; it still has to show up as a failure.
  const fileErrors = result.fileErrors.map((error) => ({
    name: `${error.file || "the test run"} could not run`,
    status: "failed",
    message: error.failure.message,
    ...located(error.failure.location),
  }));
  const aborted = result.aborted && {
    kind: result.aborted.kind,
    message: [result.aborted.file, result.aborted.test].filter(Boolean).join(" › "),
  };
  const problems = [
    ...result.unhandled.map((u) => ({ kind: u.kind, message: u.failure.message, ...located(u.failure.location) })),
    ...(aborted ? [aborted] : []),
  ];
  return {
    lesson: result.lesson.id,
    passed: result.passed,
    tests: [...tests, ...fileErrors],
    typeErrors: result.typeErrors,
    problems,
    diagnosis: result.diagnosis && { mistake: result.diagnosis.mistake, note: result.diagnosis.note },
    passesBut: passesButJson(result.passesBut ?? []),
    next: nextAction(result, view),
    trainerNotes,
  };
}
