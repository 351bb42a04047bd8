import type { ParsedArgs } from "../cli/args.ts";
import { type Context, openWorkbook } from "../cli/context.ts";
import { editLocation } from "../check/first-problem.ts";
import { chooseEditor } from "../editor/editor-command.ts";
import { runEditor } from "../editor/launch-editor.ts";
import {
  editorFailedLine,
  needsTerminalLine,
  noEditorLine,
  noProblemLine,
  openingLine,
} from "../render/editor-lines.ts";
import { isDone } from "../workbook/lesson-status.ts";

// npm run open [lesson]: the lesson's file in the learner's editor, at the first problem of its
// last check (check and watch mode record it). With no failing check recorded it opens the top
// of the lesson's file rather than running the check: that is instant, records nothing, and the
// top is where an untouched stub explains the task; `npm run check` then finds the failure.

export async function open(ctx: Context, args: ParsedArgs): Promise<number> {
  const workbook = openWorkbook(ctx);
  const lesson = workbook.lesson(args.positionals[0] ?? ctx.lessonHere);
  const { c } = ctx.out;
  const recorded = workbook.lastProblemAt(lesson);
  if (!recorded) ctx.out.line(c.dim(noProblemLine(lesson, isDone(workbook.status(lesson)))));
  const location = recorded ?? editLocation(lesson);
  const editor = chooseEditor(ctx.root, location, ctx.env);
  if (!editor) {
    ctx.out.line(noEditorLine(location, c));
    return 0;
  }
  // A terminal editor in a pipe could neither draw nor read keys.
  if (editor.terminal && !(ctx.stdin.isTTY && ctx.out.isTTY)) {
    ctx.out.line(needsTerminalLine(editor, location, c));
    return 0;
  }
  ctx.out.line(openingLine(editor, location, c));
  const outcome = await runEditor(editor, ctx.root, ctx.env);
  if (outcome.ok) return 0;
  ctx.out.error(editorFailedLine(editor, outcome, location, c));
  return 1;
}
