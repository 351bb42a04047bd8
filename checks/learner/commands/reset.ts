import type { ParsedArgs } from "../cli/args.ts";
import { type Context, openWorkbook } from "../cli/context.ts";
import { requireCommittedFile } from "../workbook/git.ts";
import { describeStubs, stubPath } from "../workbook/lessons.ts";
import { replaceLessonFiles } from "../workbook/replace-files.ts";

// npm run reset [lesson] [--yes]: put the original stub back, as committed in git, after
// backing up the learner's version.

export async function reset(ctx: Context, args: ParsedArgs): Promise<number> {
  const workbook = openWorkbook(ctx);
  const lesson = workbook.lesson(args.positionals[0] ?? ctx.lessonHere);
  const replacements = lesson.files.map((file) => {
    const stub = stubPath(lesson, file);
    return { file: stub, content: requireCommittedFile(ctx.root, stub) };
  });
  const { confirmed, reports } = await replaceLessonFiles(ctx, [{ lesson, replacements }], {
    yes: args.flags.has("yes"),
    question: (files) => `Reset ${files.join(" and ")} to the original stub? Your version is backed up first.`,
    retry: `npm run reset ${lesson.id}`,
  });
  if (!confirmed) {
    ctx.out.line("Nothing changed.");
    return 1;
  }
  const written = reports.flatMap(({ report }) => report.written);
  if (written.length === 0) {
    ctx.out.line(
      `${describeStubs(lesson)} ${lesson.files.length === 1 ? "is" : "are"} already the original stub: ` +
        "nothing to reset.",
    );
  } else {
    for (const file of written) ctx.out.line(`Restored ${file} to the original stub.`);
    workbook.markReset(lesson);
  }
  ctx.out.line(ctx.out.c.bold(`Next: npm run check ${lesson.id}`));
  return 0;
}
