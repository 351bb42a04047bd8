import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { ParsedArgs } from "../cli/args.ts";
import { type Context, openWorkbook } from "../cli/context.ts";
import { stubPath } from "../workbook/lessons.ts";
import { formatUnifiedDiff } from "../render/line-diff.ts";
import { UserError } from "../cli/user-error.ts";

// npm run diff [lesson]: the learner's file(s) against the reference, as a colored unified diff
// (- yours, + the reference).

export async function diff(ctx: Context, args: ParsedArgs): Promise<number> {
  const lesson = openWorkbook(ctx).lesson(args.positionals[0] ?? ctx.lessonHere);
  for (const file of lesson.files) {
    const stub = stubPath(lesson, file);
    const reference = path.join(ctx.root, file.reference);
    if (!existsSync(reference))
      throw new UserError(`The reference ${file.reference} is missing from this checkout.`, 1);
    const yours = existsSync(path.join(ctx.root, stub)) ? readFileSync(path.join(ctx.root, stub), "utf8") : "";
    const lines = formatUnifiedDiff(
      `${stub} (yours)`,
      `${file.reference} (reference)`,
      yours,
      readFileSync(reference, "utf8"),
      ctx.out.c,
    );
    if (lines.length === 0) ctx.out.line(`${stub} is the same as the reference.`);
    for (const line of lines) ctx.out.line(line);
  }
  ctx.out.line(ctx.out.c.bold(`Next: npm run check ${lesson.id}`));
  return 0;
}
