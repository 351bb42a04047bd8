import type { ParsedArgs } from "../cli/args.ts";
import { type Context, openWorkbook } from "../cli/context.ts";
import { hintLines } from "../render/hints.ts";

// npm run hint [lesson]: the next of the lesson's three hints, each closer to the answer; the
// count of hints used is kept in the state (and shows in a trainer's report).

export async function hint(ctx: Context, args: ParsedArgs): Promise<number> {
  const workbook = openWorkbook(ctx);
  const lesson = workbook.lesson(args.positionals[0] ?? ctx.lessonHere);
  for (const line of hintLines(lesson, workbook.takeHint(lesson), ctx.out.c)) ctx.out.line(line);
  return 0;
}
