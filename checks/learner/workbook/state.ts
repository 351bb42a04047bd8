import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { Lesson } from "./lessons.ts";

// Progress lives in .workbook/state.json (git-ignored). It only ever holds counters: deleting it,
// or finding it corrupt, costs the learner their tick marks and hint counts, never lesson code.
// Nothing found in .workbook/ stops a command: whatever is in the way is kept aside and named.

const lessonStateSchema = z.object({
  passed: z.boolean().default(false),
  testsPassing: z.number().int().min(0).default(0),
  testsTotal: z.number().int().min(0).default(0),
  hintsUsed: z.number().int().min(0).default(0),
  /** Set when the reference was copied in with `npm run solve`, so a trainer's report says so. */
  solved: z.boolean().default(false),
  checkedAt: z.string().optional(),
  /** The first check, hint or solve of the lesson: "minutes on the lesson" count from here. */
  startedAt: z.string().optional(),
  /** When the lesson last started passing; unset while it does not pass. */
  passedAt: z.string().optional(),
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
  return readStateText(root, warn).state;
}

/** The state and the text it was read from, so a caller can tell a change made elsewhere. */
export function readStateText(root: string, warn: (line: string) => void): { state: WorkbookState; text: string } {
  const file = path.join(root, stateFile);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // No state yet, or .workbook is a file (saving moves it aside): progress starts afresh.
    if (code === "ENOENT" || code === "ENOTDIR") return { state: emptyState(), text: "" };
    return { state: emptyState(), text: setAside(root, file, warn) };
  }
  try {
    return { state: stateSchema.parse(JSON.parse(text)), text };
  } catch {
    return { state: emptyState(), text: setAside(root, file, warn) };
  }
}

/** Keeps an unreadable state file (or folder) for inspection, never over an earlier one. */
function setAside(root: string, file: string, warn: (line: string) => void): string {
  const kept = freeName(`${file}.corrupt`);
  try {
    renameSync(file, kept);
    const name = path.relative(root, kept).split(path.sep).join("/");
    warn(`${stateFile} was unreadable, so progress starts afresh (kept as ${name}; your lesson files are untouched).`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    warn(
      `${stateFile} is unreadable and could not be moved aside (${code}), so progress starts afresh; your lesson files are untouched.`,
    );
  }
  return "";
}

function freeName(base: string): string {
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    if (!existsSync(candidate)) return candidate;
  }
}

/** Makes .workbook/ a folder, moving aside a file of that name if there is one. */
export function ensureWorkbookDir(root: string, warn: (line: string) => void = () => {}): string {
  const dir = path.join(root, workbookDir);
  try {
    if (statSync(dir).isDirectory()) return dir;
    const kept = freeName(`${dir}.corrupt`);
    renameSync(dir, kept);
    warn(`${workbookDir} was a file, not a folder: kept as ${path.basename(kept)}, and progress starts afresh.`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Writes to a temporary file and renames it over the old one, so a crash never leaves half a file. */
export function writeState(root: string, state: WorkbookState, warn?: (line: string) => void): string {
  const file = path.join(root, stateFile);
  ensureWorkbookDir(root, warn);
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const text = `${JSON.stringify(state, null, 2)}\n`;
  writeFileSync(temp, text);
  try {
    renameSync(temp, file);
  } catch (error) {
    // A folder where the state file belongs: keep it aside, then write.
    if (!["EISDIR", "ENOTEMPTY", "EEXIST", "EPERM"].includes((error as NodeJS.ErrnoException).code ?? "")) throw error;
    setAside(root, file, warn ?? (() => {}));
    renameSync(temp, file);
  }
  return text;
}

export function updateState(
  root: string,
  warn: (line: string) => void,
  change: (state: WorkbookState) => void,
): WorkbookState {
  const state = readState(root, warn);
  change(state);
  writeState(root, state, warn);
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
