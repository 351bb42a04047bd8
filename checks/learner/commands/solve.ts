import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { ParsedArgs } from "../cli/args.ts";
import { type Context, openWorkbook } from "../cli/context.ts";
import { type Lesson, describeStubs, stubPath } from "../workbook/lessons.ts";
import { replaceLessonFiles } from "../workbook/replace-files.ts";
import { countLessonTests as countTests } from "../check/count-tests.ts";
import { UserError } from "../cli/user-error.ts";

// npm run solve [lesson] [--through lesson-N] [--yes]: copy the reference solution over the
// stub(s), after backing up the learner's version. --through catches a learner up: it solves
// lessons 1..N and makes N+1 the current lesson. A solved lesson passes every one of its tests
// (npm run verify proves it of the reference), so their number is counted, not run.

export async function solve(ctx: Context, args: ParsedArgs): Promise<number> {
  const workbook = openWorkbook(ctx);
  const through = args.options.get("through");
  const named = args.positionals[0] ?? (through ? undefined : ctx.lessonHere);
  if (through && named)
    throw new UserError(
      `Give a lesson or --through, not both: npm run solve ${named}, or npm run solve --through ${through}.`,
    );
  const targets = through ? lessonsThrough(workbook.lessons, workbook.lesson(through)) : [workbook.lesson(named)];
  const plans = targets.map((lesson) => ({ lesson, replacements: referenceReplacements(ctx.root, lesson) }));
  const { confirmed, reports } = await replaceLessonFiles(ctx, plans, {
    yes: args.flags.has("yes"),
    question: (files) => `Replace ${files.join(", ")} with the reference solution? Your versions are backed up first.`,
    retry: through ? `npm run solve --through ${through}` : `npm run solve ${targets[0]!.id}`,
  });
  if (!confirmed) {
    ctx.out.line("Nothing changed.");
    return 1;
  }
  for (const file of reports.flatMap(({ report }) => report.written))
    ctx.out.line(`Copied the reference into ${file}.`);
  if (reports.length === 0) {
    for (const lesson of targets)
      ctx.out.line(
        `${describeStubs(lesson)} already ${lesson.files.length === 1 ? "holds" : "hold"} the reference solution.`,
      );
  }
  const last = targets[targets.length - 1]!;
  const totals = await countTests(
    ctx,
    targets.filter((lesson) => workbook.status(lesson).total === null),
  );
  const current = workbook.markSolved(targets, { through: Boolean(through), totals });
  const next = targets.some((lesson) => lesson.id === current.id)
    ? `npm run check ${last.id}`
    : `npm run check ${current.id}`;
  if (through || current.id !== last.id)
    ctx.out.line(`Your current lesson is ${current.id} ${current.pattern}: read ${current.dir}/README.md`);
  ctx.out.line(ctx.out.c.bold(`Next: ${next}`));
  return 0;
}

function lessonsThrough(lessons: Lesson[], last: Lesson): Lesson[] {
  return lessons.filter((lesson) => lesson.number <= last.number);
}

function referenceReplacements(root: string, lesson: Lesson): { file: string; content: Buffer }[] {
  return lesson.files.map((file) => {
    const reference = path.join(root, file.reference);
    if (!existsSync(reference))
      throw new UserError(`The reference ${file.reference} is missing from this checkout.`, 1);
    // References import through "@/…", which resolves to solutions/ from anywhere: a copy works as is.
    return { file: stubPath(lesson, file), content: readFileSync(reference) };
  });
}
