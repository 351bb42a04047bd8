import { type ReplaceReport, type Replacement, pendingReplacements, replaceWithBackup } from "./backup.ts";
import { type Context, confirm } from "./context.ts";
import type { Lesson } from "./lessons.ts";

// What reset and solve share: say when there is nothing to do, ask before overwriting (or insist
// on --yes without a terminal), back up, overwrite, and say where every backup went.

export interface LessonReplacements {
  lesson: Lesson;
  replacements: Replacement[];
}

export async function replaceLessonFiles(
  ctx: Context,
  plans: LessonReplacements[],
  prompt: { yes: boolean; question: (files: string[]) => string; retry: string },
): Promise<{ confirmed: boolean; reports: { lesson: Lesson; report: ReplaceReport }[] }> {
  const pending = plans.flatMap(({ replacements }) => pendingReplacements(ctx.root, replacements).map((r) => r.file));
  if (pending.length === 0) return { confirmed: true, reports: [] };
  if (!(await confirm(ctx, prompt.yes, prompt.question(pending), prompt.retry))) return { confirmed: false, reports: [] };
  const now = ctx.now();
  const reports = plans.map(({ lesson, replacements }) => ({ lesson, report: replaceWithBackup(ctx.root, lesson.id, now, replacements) }));
  for (const { report } of reports) {
    for (const { file, to } of report.backedUp) ctx.out.line(`Backed up your ${file} to ${ctx.out.c.cyan(to)}`);
  }
  return { confirmed: true, reports };
}
