import type { ChalkInstance } from "chalk";
import { type Lesson, lessonLabel } from "../workbook/lessons.ts";
import { type LessonStatus, type StatusName, statusMarks } from "../workbook/lesson-status.ts";
import type { WorkbookView } from "../workbook/workbook.ts";
import { allDoneMessage } from "./next-action.ts";
import { plural } from "./text.ts";

// Where every lesson stands: `npm run progress`, and the list watch mode shows on l. Both read the
// statuses the Workbook derives, so they say what report and the room say.

const markColor: Record<StatusName, (c: ChalkInstance, text: string) => string> = {
  passed: (c, text) => c.green(text),
  solved: (c, text) => c.magenta(text),
  started: (c, text) => c.yellow(text),
  "not-started": (c, text) => c.dim(text),
};

function statusMark(status: LessonStatus, c: ChalkInstance): string {
  return markColor[status.status](c, statusMarks[status.status]);
}

/** "84/84 tests · solved by copying the reference · 2 hints · 14 min" */
function statusDetails(status: LessonStatus): string {
  return [
    status.total !== null ? `${status.passing}/${status.total} tests` : "",
    status.solvedByCopy ? "solved by copying the reference" : "",
    status.hintsUsed > 0 ? plural(status.hintsUsed, "hint") : "",
    status.minutes !== null ? `${status.minutes} min` : "",
  ]
    .filter(Boolean)
    .join(" · ");
}

export function progressLines(view: WorkbookView, c: ChalkInstance): string[] {
  const width = Math.max(...view.lessons.map((lesson) => lessonLabel(lesson).length));
  const lines = [c.bold(`Progress: ${view.done} of ${view.lessons.length} lessons done`)];
  for (const lesson of view.lessons) {
    const status = view.status(lesson);
    const marker = lesson.id === view.current.id ? ` ${c.cyan("← current")}` : "";
    const label = lessonLabel(lesson).padEnd(width);
    lines.push(`  ${statusMark(status, c)} ${label}  ${c.dim(statusDetails(status))}${marker}`.trimEnd());
  }
  lines.push(c.dim("  ✓ passed  ◆ solved by copying the reference  ◐ started  ○ not started"));
  const next = view.allDone
    ? allDoneMessage(view.lessons)
    : `npm run check ${view.current.id} (or npm start to work on it in watch mode)`;
  lines.push(c.bold(`Next: ${next}`));
  return lines;
}

/** The lessons, numbered, with where each stands: what l shows in watch mode. */
export function lessonListLines(view: WorkbookView, watching: Lesson, c: ChalkInstance): string[] {
  const width = Math.max(...view.lessons.map((lesson) => lessonLabel(lesson).length));
  const lines = [c.bold(`Lessons: ${view.done} of ${view.lessons.length} done`)];
  for (const lesson of view.lessons) {
    const mark = statusMark(view.status(lesson), c);
    const marker = lesson.id === watching.id ? ` ${c.cyan("← watching")}` : "";
    const number = String(lesson.number).padStart(2);
    lines.push(`  ${number} ${mark} ${lessonLabel(lesson).padEnd(width)}  ${c.dim(lesson.title)}${marker}`);
  }
  lines.push(c.bold("Type a lesson's number and Enter to open it, or Enter alone to stay."));
  return lines;
}
