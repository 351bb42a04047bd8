import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { Lesson } from "./lessons.ts";

// Progress lives in .workbook/state.json (git-ignored). It only ever holds counters: deleting it,
// or finding it corrupt, costs the learner their tick marks and hint counts, never lesson code.

const lessonStateSchema = z.object({
  passed: z.boolean().default(false),
  testsPassing: z.number().int().min(0).default(0),
  testsTotal: z.number().int().min(0).default(0),
  hintsUsed: z.number().int().min(0).default(0),
  /** Set when the reference was copied in with `npm run solve`, so a trainer's report says so. */
  solved: z.boolean().default(false),
  checkedAt: z.string().optional(),
});

const stateSchema = z.object({
  version: z.literal(1),
  current: z.string().optional(),
  lessons: z.record(z.string(), lessonStateSchema).default({}),
});

export type LessonState = z.infer<typeof lessonStateSchema>;
export type WorkbookState = z.infer<typeof stateSchema>;

export const workbookDir = ".workbook";
export const stateFile = `${workbookDir}/state.json`;

export function emptyState(): WorkbookState {
  return { version: 1, lessons: {} };
}

export function readState(root: string, warn: (line: string) => void): WorkbookState {
  const file = path.join(root, stateFile);
  if (!existsSync(file)) return emptyState();
  try {
    return stateSchema.parse(JSON.parse(readFileSync(file, "utf8")));
  } catch {
    // Keep the unreadable file for inspection; the next save writes a fresh one.
    renameSync(file, `${file}.corrupt`);
    warn(`${stateFile} was unreadable, so progress starts afresh (kept as ${stateFile}.corrupt; your lesson files are untouched).`);
    return emptyState();
  }
}

/** Writes to a temporary file and renames it over the old one, so a crash never leaves half a file. */
export function writeState(root: string, state: WorkbookState): void {
  const file = path.join(root, stateFile);
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temp, file);
}

export function updateState(root: string, warn: (line: string) => void, change: (state: WorkbookState) => void): WorkbookState {
  const state = readState(root, warn);
  change(state);
  writeState(root, state);
  return state;
}

export function lessonState(state: WorkbookState, id: string): LessonState {
  return state.lessons[id] ?? lessonStateSchema.parse({});
}

/** The lesson state of `id`, created when missing, for changing in place. */
export function editLessonState(state: WorkbookState, id: string): LessonState {
  return (state.lessons[id] ??= lessonStateSchema.parse({}));
}

export function currentLesson(lessons: Lesson[], state: WorkbookState): Lesson {
  return (
    lessons.find((lesson) => lesson.id === state.current) ??
    lessons.find((lesson) => !lessonState(state, lesson.id).passed) ??
    lessons[lessons.length - 1]!
  );
}

export function lessonsDone(lessons: Lesson[], state: WorkbookState): number {
  return lessons.filter((lesson) => lessonState(state, lesson.id).passed).length;
}

export type LessonStatus = "passed" | "started" | "not-started";

export function lessonStatus(state: LessonState): LessonStatus {
  if (state.passed) return "passed";
  return state.testsPassing > 0 || state.hintsUsed > 0 ? "started" : "not-started";
}
