import type { ParsedArgs } from "../lib/args.ts";
import type { Context } from "../lib/context.ts";
import { type Lesson, lessonLabel, resolveLesson, lessonsFor } from "../lib/lessons.ts";
import { currentLesson, editLessonState, lessonState, readState, updateState } from "../lib/state.ts";

// npm run hint [lesson]: the next of the lesson's three hints, each closer to the answer; the
// count of hints used is kept in the state (and shows in a trainer's report).

export type HintTaken = { number: number; of: number; text: string } | { exhausted: true; of: number };

export function takeHint(ctx: Context, lesson: Lesson): HintTaken {
  const warn = (line: string) => ctx.out.warn(line);
  const used = lessonState(readState(ctx.root, warn), lesson.id).hintsUsed;
  if (used >= lesson.hints.length) return { exhausted: true, of: lesson.hints.length };
  updateState(ctx.root, warn, (state) => {
    editLessonState(state, lesson.id).hintsUsed = used + 1;
  });
  return { number: used + 1, of: lesson.hints.length, text: lesson.hints[used]! };
}

/** `watching`: in watch mode, where saving is the next action, a hint ends without one. */
export function hintLines(ctx: Context, lesson: Lesson, taken: HintTaken, { watching = false } = {}): string[] {
  const { c } = ctx.out;
  if ("exhausted" in taken) {
    return [
      `No more hints for ${lessonLabel(lesson)}: you have seen all ${taken.of} (they are also in ${lesson.dir}/README.md).`,
      c.bold(`Next: compare your code with the reference (npm run diff ${lesson.id}), or copy it in (npm run solve ${lesson.id})`),
    ];
  }
  const more = taken.number < taken.of ? ` (npm run hint ${lesson.id} for hint ${taken.number + 1})` : "";
  const hint = [c.bold(`Hint ${taken.number} of ${taken.of} for ${lessonLabel(lesson)}:`), ...taken.text.split("\n").map((line) => `  ${line}`)];
  return watching ? hint : [...hint, "", c.bold(`Next: try it, then npm run check ${lesson.id}${more}`)];
}

export async function hint(ctx: Context, args: ParsedArgs): Promise<number> {
  const { lessons } = lessonsFor(ctx);
  const named = args.positionals[0];
  const lesson = named ? resolveLesson(lessons, named) : currentLesson(lessons, readState(ctx.root, (line) => ctx.out.warn(line)));
  for (const line of hintLines(ctx, lesson, takeHint(ctx, lesson))) ctx.out.line(line);
  return 0;
}
