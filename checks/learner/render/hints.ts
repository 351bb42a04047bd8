import type { ChalkInstance } from "chalk";
import { type Lesson, lessonLabel } from "../workbook/lessons.ts";
import type { HintTaken } from "../workbook/workbook.ts";
import { wrapText } from "./text.ts";

// A hint, for `npm run hint` and watch mode's h.

/** `watching`: in watch mode, where saving is the next action, a hint ends without one. */
export function hintLines(
  lesson: Lesson,
  taken: HintTaken,
  c: ChalkInstance,
  { watching = false, width = 100 } = {},
): string[] {
  if ("exhausted" in taken) {
    return [
      `No more hints for ${lessonLabel(lesson)}: you have seen all ${taken.of} ` +
        `(they are also in ${lesson.dir}/README.md).`,
      c.bold(
        `Next: compare your code with the reference (npm run diff ${lesson.id}), ` +
          `or copy it in (npm run solve ${lesson.id})`,
      ),
    ];
  }
  const more = taken.number < taken.of ? ` (npm run hint ${lesson.id} for hint ${taken.number + 1})` : "";
  const body = watching ? wrapText(taken.text, width) : taken.text.split("\n").map((line) => `  ${line}`);
  const hint = [c.bold(`Hint ${taken.number} of ${taken.of} for ${lessonLabel(lesson)}:`), ...body];
  return watching ? hint : [...hint, "", c.bold(`Next: try it, then npm run check ${lesson.id}${more}`)];
}
