import { existsSync, readFileSync, renameSync } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { describeIssue } from "../../learner/room/protocol.ts";
import { type StatusName, lessonStatusFields } from "../../learner/workbook/lesson-status.ts";
import { writeAtomically } from "../../learner/workbook/write-atomically.ts";
import { type Note, noteSchema } from "./room-notes.ts";
import { failureOf } from "./room-signals.ts";

// The room's file: what it holds, how it is read back (one unreadable learner is set aside, not
// the room), and how it is written (to a temporary file renamed over the old one, so a crash
// between or during writes leaves the last whole file; off the event loop, in chunks).

/** A learner's lesson as their workbook last derived it, and when the room heard it (version 2's entry). */
const reportedEntrySchema = lessonStatusFields.extend({
  event: z.enum(["check", "watch", "solve", "reset", "hint"]),
  /** The learner's clock: when the status was derived. */
  at: z.string(),
  /** The room's clock: when the status arrived. */
  receivedAt: z.string(),
});

const isoOrNull = z.iso.datetime({ offset: true }).nullable();

/** The entry with what the room tracks to tell that the learner is stuck (room-signals.ts). */
const lessonEntrySchema = reportedEntrySchema.extend({
  failingSince: isoOrNull,
  checksOnFailure: z.number().int().min(0),
  savedAt: isoOrNull,
});

type ReportedEntry = z.infer<typeof reportedEntrySchema>;

/**
 * An entry saved before the room tracked failures: its failure counts from when it was last heard
 * (one check), and its last save is unknown, so a restart never makes anyone look stuck at once.
 */
function untracked(entry: ReportedEntry): z.infer<typeof lessonEntrySchema> {
  const failing = failureOf(entry) !== null;
  return {
    ...entry,
    failingSince: failing ? entry.receivedAt : null,
    checksOnFailure: failing ? 1 : 0,
    savedAt: null,
  };
}

const v2EntrySchema = reportedEntrySchema.transform(untracked);

// Rooms saved before statuses were derived by the learner's workbook kept raw counters: read them
// as the workbook would derive them now.
const v1EntrySchema = z
  .object({
    event: z.enum(["check", "watch", "solve", "reset", "hint"]),
    passed: z.boolean(),
    solved: z.boolean(),
    passing: z.number().int().min(0),
    total: z.number().int().min(0),
    hintsUsed: z.number().int().min(0),
    failingTest: z.string().optional(),
    minutesOnLesson: z.number().min(0),
    at: z.string(),
    receivedAt: z.string(),
  })
  .transform((v1): ReportedEntry => {
    const status: StatusName = v1.passed
      ? v1.solved
        ? "solved"
        : "passed"
      : v1.passing > 0 || v1.hintsUsed > 0
        ? "started"
        : "not-started";
    const known = v1.total > 0;
    return {
      event: v1.event,
      status,
      solvedByCopy: v1.solved,
      passing: known ? Math.min(v1.passing, v1.total) : null,
      total: known ? v1.total : null,
      tests: known ? "checked" : "not-checked",
      hintsUsed: v1.hintsUsed,
      minutes: Math.floor(v1.minutesOnLesson),
      failingTest: v1.passed ? null : (v1.failingTest ?? null),
      diagnosis: null,
      startedAt: null,
      passedAt: null,
      lastChecked: v1.at,
      at: v1.at,
      receivedAt: v1.receivedAt,
    };
  })
  .transform(untracked);

const learnerFields = {
  id: z.string(),
  /** A hash of the learner's secret: the file alone is not enough to speak for a learner. */
  secretHash: z.string(),
  name: z.string(),
  joinedAt: z.string(),
  lastSeen: z.string(),
  /** The lesson of the latest status: where the learner is now. */
  current: z.string().optional(),
  /**
   * The learner's place in the order of joining, never reused: "Learner 7" when the dashboard
   * hides names. Rooms saved before it number their learners in the order of the file.
   */
  number: z.number().int().min(1).optional(),
};
const learnerSchema = z.object({ ...learnerFields, lessons: z.record(z.string(), lessonEntrySchema) });
const learnerSchemas = {
  1: z.object({ ...learnerFields, lessons: z.record(z.string(), v1EntrySchema) }),
  2: z.object({ ...learnerFields, lessons: z.record(z.string(), v2EntrySchema) }),
  3: learnerSchema,
};

/** The room's own fields; each learner is read on its own, so that one bad row costs one learner. */
const roomFileSchema = z.object({
  version: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  joinCode: z.string().min(8),
  trainerKey: z.string().min(16),
  /** Whether new learners may join (the trainer closes and opens it from the dashboard). */
  joining: z.boolean().default(true),
  /** Learners the trainer removed: told so, rather than let back in by their workbook's next status. */
  removed: z.array(z.string()).default([]),
  /** The last number given to a learner who joined. */
  lastNumber: z.number().int().min(0).default(0),
  /** The trainer's notes (room-notes.ts), each read on its own: one bad note costs that note. */
  notes: z.array(z.unknown()).default([]),
  learners: z.array(z.unknown()),
});

export type LessonEntry = z.infer<typeof lessonEntrySchema>;
export type Learner = z.infer<typeof learnerSchema>;

export interface SavedRoom {
  joinCode: string;
  trainerKey: string;
  joining: boolean;
  removed: string[];
  lastNumber: number;
  notes: Note[];
  learners: Learner[];
}

const separator = Buffer.from(",\n");

/**
 * The room as a file, as the buffers to write one after the other: one learner per line, already
 * encoded, so that a person can read the file and a save encodes only the learners that changed
 * since the last, and copies nothing on the event loop (the disk takes them all in one call).
 */
export function roomFileChunks(room: Omit<SavedRoom, "learners">, learnerLines: readonly Buffer[]): Buffer[] {
  const { joinCode, trainerKey, joining, removed, lastNumber, notes } = room;
  const head = JSON.stringify({ version: 3, joinCode, trainerKey, joining, removed, lastNumber, notes });
  const chunks: Buffer[] = [Buffer.from(`${head.slice(0, -1)},"learners":[\n`)];
  learnerLines.forEach((line, i) => {
    if (i > 0) chunks.push(separator);
    chunks.push(line);
  });
  chunks.push(Buffer.from("\n]}\n"));
  return chunks;
}

/** Writes a new file at once (a new room's join code must survive a restart before anyone joins). */
export function writeRoomFileNow(file: string, chunks: readonly Buffer[]): void {
  writeAtomically(file, Buffer.concat(chunks));
}

/** Temp file + rename, without blocking the event loop; the temp file goes if the write fails. */
export async function writeRoomFile(file: string, chunks: readonly Buffer[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const handle = await open(temp, "w", 0o600);
    try {
      await handle.writev([...chunks]);
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export function loadRoomFile(file: string, warn: (line: string) => void, now: Date): SavedRoom | undefined {
  if (!existsSync(file)) return undefined;
  let room: z.infer<typeof roomFileSchema>;
  try {
    room = roomFileSchema.parse(JSON.parse(readFileSync(file, "utf8")));
  } catch {
    const aside = `${file}.corrupt-${now.getTime()}`;
    renameSync(file, aside);
    warn(
      `${path.basename(file)} was unreadable, so the room starts empty with a new join code ` +
        `(the old file is kept as ${path.basename(aside)}).`,
    );
    return undefined;
  }
  const schema = learnerSchemas[room.version];
  const learners: Learner[] = [];
  const unreadable: { learner: unknown; problem: string }[] = [];
  for (const learner of room.learners) {
    const parsed = schema.safeParse(learner);
    if (parsed.success) learners.push(parsed.data);
    else unreadable.push({ learner, problem: describeIssue(parsed.error) });
  }
  if (unreadable.length > 0) setAside(file, unreadable, warn, now);
  const { joinCode, trainerKey, joining, removed, lastNumber } = room;
  return { joinCode, trainerKey, joining, removed, lastNumber, notes: readNotes(room.notes, warn), learners };
}

/** The notes that can be read; the others are dropped, and the trainer told how many. */
function readNotes(saved: unknown[], warn: (line: string) => void): Note[] {
  const notes = saved.flatMap((note) => {
    const parsed = noteSchema.safeParse(note);
    return parsed.success ? [parsed.data] : [];
  });
  const lost = saved.length - notes.length;
  if (lost > 0) warn(`${lost === 1 ? "1 note" : `${lost} notes`} to learners could not be read and were dropped.`);
  return notes;
}

/** Keeps unreadable learners in a file of their own and names them, so the trainer can see who and why. */
function setAside(
  file: string,
  unreadable: { learner: unknown; problem: string }[],
  warn: (line: string) => void,
  now: Date,
): void {
  const aside = `${file}.set-aside-${now.getTime()}.json`;
  const body = {
    setAsideAt: now.toISOString(),
    problems: unreadable.map((u) => u.problem),
    learners: unreadable.map((u) => u.learner),
  };
  writeAtomically(aside, `${JSON.stringify(body, null, 2)}\n`);
  const who = unreadable.map(({ learner, problem }) => `${nameOf(learner)} (${problem})`).join(", ");
  const count = unreadable.length === 1 ? "1 learner" : `${unreadable.length} learners`;
  warn(
    `Set aside ${count} whose saved row could not be read: ${who}. ` +
      `Kept in ${path.basename(aside)}; their next check joins them again.`,
  );
}

function nameOf(learner: unknown): string {
  const name = (learner as { name?: unknown } | null)?.name;
  return typeof name === "string" ? JSON.stringify(name) : "a learner with no name";
}
