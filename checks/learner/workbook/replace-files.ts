import {
  type ReplaceReport,
  type Replacement,
  WriteFailure,
  pendingReplacements,
  replaceWithBackup,
} from "./backup.ts";
import { type Context, confirm } from "../cli/context.ts";
import type { Lesson } from "./lessons.ts";
import { UserError } from "../cli/user-error.ts";

// What reset and solve share: say when there is nothing to do, ask before overwriting (or insist
// on --yes without a terminal), back up, overwrite, and say where every backup went.

interface LessonReplacements {
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
  if (!(await confirm(ctx, prompt.yes, prompt.question(pending), prompt.retry)))
    return { confirmed: false, reports: [] };
  const now = ctx.now();
  let reports: { lesson: Lesson; report: ReplaceReport }[];
  try {
    reports = plans.map(({ lesson, replacements }) => ({
      lesson,
      report: replaceWithBackup(ctx.root, lesson.id, now, replacements),
    }));
  } catch (error) {
    if (!(error instanceof WriteFailure)) throw error;
    const kept = error.backedUpTo ? ` Your version is backed up at ${error.backedUpTo}.` : "";
    throw new UserError(
      `Could not write ${error.file} (${describeCode(error.code)}).${kept} ` +
        `Make it writable, then run ${prompt.retry} again.`,
      1,
    );
  }
  for (const { report } of reports) {
    for (const { file, to } of report.backedUp) ctx.out.line(`Backed up your ${file} to ${ctx.out.c.cyan(to)}`);
  }
  return { confirmed: true, reports };
}

function describeCode(code: string): string {
  const known: Record<string, string> = {
    EACCES: "permission denied",
    EPERM: "not permitted",
    EROFS: "read-only file system",
    EISDIR: "it is a folder",
    ENOSPC: "the disk is full",
  };
  return known[code] ?? code;
}
