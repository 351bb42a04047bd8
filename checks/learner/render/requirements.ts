import { installHint } from "../check/requires.ts";
import { type Lesson, lessonLabel } from "../workbook/lessons.ts";

/** One line: what the lesson needs installed, how to install it, and what to run then. */
export function missingRequirementsLine(
  lesson: Lesson,
  missing: readonly string[],
  then = `npm run check ${lesson.id}`,
): string {
  const names = missing.join(" and ");
  const install = missing.map(installHint).join("; ");
  const are = missing.length === 1 ? "is" : "are";
  return `${lessonLabel(lesson)} needs ${names}, which ${are} not installed: ${install}, then ${then}`;
}
