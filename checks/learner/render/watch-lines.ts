import type { ChalkInstance } from "chalk";
import { type Lesson, lessonLabel } from "../workbook/lessons.ts";
import { allDoneMessage } from "./next-action.ts";

// The sentences watch mode says around a check.

export function rerunningLine(lesson: Lesson, saved: string[], c: ChalkInstance): string {
  const names = saved.map((file) => file.split(/[\\/]/).pop()).join(", ");
  return c.yellow(`⟳ re-running ${lessonLabel(lesson)}${names ? ` (${names} saved)` : ""}…`);
}

export function switchedLine(to: Lesson, saved: string, c: ChalkInstance): string {
  return c.yellow(`You saved ${saved}: switching to ${lessonLabel(to)}.`);
}

/** A lesson file rewritten to a known content: a reset or a solve, here or in another terminal. */
export function rewrittenLine(file: string, to: "stub" | "reference", c: ChalkInstance): string {
  return c.yellow(
    to === "stub"
      ? `${file} is the original stub again (npm run reset).`
      : `${file} now holds the reference solution (npm run solve).`,
  );
}

export function followedLine(to: Lesson, c: ChalkInstance): string {
  return c.yellow(`Another terminal made ${lessonLabel(to)} your current lesson: switching to it.`);
}

/** The last line after a lesson passes: the lesson, and the key for what comes next. */
export function passedBanner(
  lesson: Lesson,
  next: Lesson | undefined,
  open: Lesson | undefined,
  c: ChalkInstance,
): string {
  const then = next
    ? ` — n for ${lessonLabel(next)}`
    : open
      ? ` — ${lessonLabel(open)} is still open: l, then ${open.number} and Enter`
      : "";
  return c.green.bold(`${lessonLabel(lesson)} passed${then}`);
}

export function allDoneLine(lessons: readonly Lesson[], c: ChalkInstance): string {
  const text = allDoneMessage(lessons);
  return c.green.bold(`${text[0]!.toUpperCase()}${text.slice(1)}.`);
}

export function edgeLine(step: 1 | -1): string {
  return step === 1
    ? "This is the last lesson: p goes back, l lists them all."
    : "This is the first lesson: n goes on, l lists them all.";
}

export function pickedUnknownLine(typed: string, lessons: readonly Lesson[]): string {
  const [first, last] = [lessons[0]!.number, lessons[lessons.length - 1]!.number];
  return `There is no lesson ${typed}: type a number from ${first} to ${last}, then Enter.`;
}

export function couldNotRunLine(error: unknown): string {
  const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
  return `The check could not run: ${reason}. Save again to retry.`;
}
