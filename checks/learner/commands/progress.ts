import type { ParsedArgs } from "../cli/args.ts";
import { type Context, openWorkbook } from "../cli/context.ts";
import { progressLines } from "../render/progress.ts";

// npm run progress: ✓ passed, ◆ solved by copy, ◐ started, ○ not started, one line per lesson, ← current.

export async function progress(ctx: Context, _args: ParsedArgs): Promise<number> {
  for (const line of progressLines(openWorkbook(ctx).view(), ctx.out.c)) ctx.out.line(line);
  return 0;
}
