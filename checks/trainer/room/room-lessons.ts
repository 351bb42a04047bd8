import type { Lesson } from "../../learner/workbook/lessons.ts";

/** A lesson as the room shows it: enough to label a column, nothing of its files. */
export interface LessonSummary {
  id: string;
  number: number;
  pattern: string;
  title: string;
  /** How many hints the lesson has: a learner who took them all is stuck (room-signals.ts). */
  hints: number;
}

export function lessonSummaries(lessons: readonly Lesson[]): LessonSummary[] {
  return lessons.map(({ id, number, pattern, title, hints }) => ({ id, number, pattern, title, hints: hints.length }));
}
