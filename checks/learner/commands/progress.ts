import type { ParsedArgs } from "../cli/args.ts";
import { type Context, openWorkbook } from "../cli/context.ts";
import { progressLines } from "../render/render-check.ts";

// npm run progress: ✓ passed, ◐ started, ○ not started, one line per lesson, ← current.

export async function progress(ctx: Context, _args: ParsedArgs): Promise<number> {
  const workbook = openWorkbook(ctx);
  for (const line of progressLines(workbook.lessons, workbook.state, ctx.out.c)) ctx.out.line(line);
  return 0;
}
