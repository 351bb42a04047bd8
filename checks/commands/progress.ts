import type { ParsedArgs } from "../lib/args.ts";
import type { Context } from "../lib/context.ts";
import { type Lesson, lessonLabel, lessonsFor } from "../lib/lessons.ts";
import { symbols } from "../lib/output.ts";
import { type WorkbookState, currentLesson, lessonState, lessonStatus, lessonsDone, readState } from "../lib/state.ts";

// npm run progress: ✓ passed, ◐ started, ○ not started, one line per lesson, ← current.

/** `watching`: in watch mode, where the current lesson is already being watched, no next action. */
export function progressLines(ctx: Context, lessons: Lesson[], state: WorkbookState, { watching = false } = {}): string[] {
  const { c } = ctx.out;
  const current = currentLesson(lessons, state);
  const width = Math.max(...lessons.map((lesson) => lessonLabel(lesson).length));
  const lines = [c.bold(`Progress: ${lessonsDone(lessons, state)} of ${lessons.length} lessons done`)];
  for (const lesson of lessons) {
    const entry = lessonState(state, lesson.id);
    const status = lessonStatus(entry);
    const mark = status === "passed" ? c.green(symbols.pass) : status === "started" ? c.yellow(symbols.started) : c.dim(symbols.notStarted);
    const details = [
      entry.testsTotal > 0 ? `${entry.testsPassing}/${entry.testsTotal} tests` : "",
      entry.solved ? "solved with npm run solve" : "",
      entry.hintsUsed > 0 ? `${entry.hintsUsed} ${entry.hintsUsed === 1 ? "hint" : "hints"}` : "",
    ].filter(Boolean);
    const marker = lesson.id === current.id ? ` ${c.cyan(symbols.current)}` : "";
    lines.push(`  ${mark} ${lessonLabel(lesson).padEnd(width)}  ${c.dim(details.join(" · "))}${marker}`.trimEnd());
  }
  if (watching) return lines;
  const allDone = lessonsDone(lessons, state) === lessons.length;
  lines.push(c.bold(allDone ? "Next: all lessons are done: npm run report shows your summary" : `Next: npm run check ${current.id} (or npm start to work on it in watch mode)`));
  return lines;
}

export async function progress(ctx: Context, _args: ParsedArgs): Promise<number> {
  const { lessons } = lessonsFor(ctx);
  const state = readState(ctx.root, (line) => ctx.out.warn(line));
  for (const line of progressLines(ctx, lessons, state)) ctx.out.line(line);
  return 0;
}
