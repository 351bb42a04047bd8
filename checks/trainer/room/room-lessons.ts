import type { Lesson } from "../../learner/workbook/lessons.ts";

/** A lesson as the room shows it: enough to label a column, nothing of its files. */
export interface LessonSummary {
  id: string;
  number: number;
  pattern: string;
  title: string;
}

export function lessonSummaries(lessons: readonly Lesson[]): LessonSummary[] {
  return lessons.map(({ id, number, pattern, title }) => ({ id, number, pattern, title }));
}
