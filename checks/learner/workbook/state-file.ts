import { readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { ensureWorkbookDir, freeName, workbookDir } from "./workbook-dir.ts";

// The format of .workbook/state.json (git-ignored), and how it is read and written. Only the
// Workbook (workbook.ts) uses this module: it is the one owner of the learner's progress, and a
// test proves nothing else imports it. The file only ever holds counters: deleting it, or finding
// it corrupt, costs the learner their tick marks and hint counts, never lesson code.

const lessonStateSchema = z.object({
  passed: z.boolean().default(false),
  testsPassing: z.number().int().min(0).default(0),
  testsTotal: z.number().int().min(0).default(0),
  /** testsTotal came from counting the tests (a solve), not from running them. */
  testsCounted: z.boolean().default(false),
  hintsUsed: z.number().int().min(0).default(0),
  /** The lesson's files hold the reference solution (npm run solve, or a copy by hand). */
  solved: z.boolean().default(false),
  /** The first failing test of the last check, while the lesson does not pass. */
  failingTest: z.string().optional(),
  /** The known mistake the last check's failure looked like (learner/diagnosis/), if any. */
  diagnosis: z.object({ mistake: z.string(), title: z.string() }).optional(),
  /** Where the last check's first problem is (what `npm run open` opens), while the lesson does not pass. */
  failingAt: z
    .object({ file: z.string().min(1), line: z.number().int().min(1), column: z.number().int().min(0) })
    .optional(),
  checkedAt: z.string().optional(),
  /** When the learner first worked on the lesson (a save, a check, a hint): its minutes count from here. */
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
/** A state as it may be written: fields with defaults may be left out (tests write such states). */
type WorkbookStateInput = z.input<typeof stateSchema>;

export const stateFile = `${workbookDir}/state.json`;

export function emptyState(): WorkbookState {
  return { version: 1, lessons: {} };
}

export function emptyLessonState(): LessonState {
  return lessonStateSchema.parse({});
}

/** The state and the text it was read from, so the Workbook can tell a change made elsewhere. */
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

export function readState(root: string, warn: (line: string) => void = () => {}): WorkbookState {
  return readStateText(root, warn).state;
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
      `${stateFile} is unreadable and could not be moved aside (${code}), so progress starts afresh; ` +
        "your lesson files are untouched.",
    );
  }
  return "";
}

/** Writes to a temporary file and renames it over the old one, so a crash never leaves half a file. */
export function writeState(root: string, state: WorkbookStateInput, warn?: (line: string) => void): string {
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
