import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, renameSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { type StatusPayload, nameKey } from "../../learner/room/protocol.ts";
import { type StatusName, lessonStatusFields } from "../../learner/workbook/lesson-status.ts";
import { writeAtomically } from "../../learner/workbook/write-atomically.ts";

// Everything the room knows: its join code, the trainer's key, and per learner the last status of
// each lesson. Bounded (a cap on learners, one entry per known lesson each) and kept in a JSON file
// beside the room, written atomically, so a restart of the room loses nothing.

export const defaultMaxLearners = 500;

/** A learner's lesson as their workbook last derived it, and when the room heard it. */
const lessonEntrySchema = lessonStatusFields.extend({
  event: z.enum(["check", "watch", "solve", "reset", "hint"]),
  /** The learner's clock: when the status was derived. */
  at: z.string(),
  /** The room's clock: when the status arrived. */
  receivedAt: z.string(),
});

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
  .transform((v1): z.infer<typeof lessonEntrySchema> => {
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
      startedAt: null,
      passedAt: null,
      lastChecked: v1.at,
      at: v1.at,
      receivedAt: v1.receivedAt,
    };
  });

const learnerFields = {
  id: z.string(),
  /** A hash of the learner's secret: the file alone is not enough to speak for a learner. */
  secretHash: z.string(),
  name: z.string(),
  joinedAt: z.string(),
  lastSeen: z.string(),
  /** The lesson of the latest status: where the learner is now. */
  current: z.string().optional(),
};
const learnerSchema = z.object({ ...learnerFields, lessons: z.record(z.string(), lessonEntrySchema) });

const roomFields = { joinCode: z.string().min(8), trainerKey: z.string().min(16) };
const roomFileSchema = z.union([
  z.object({ version: z.literal(2), ...roomFields, learners: z.array(learnerSchema) }),
  z
    .object({
      version: z.literal(1),
      ...roomFields,
      learners: z.array(z.object({ ...learnerFields, lessons: z.record(z.string(), v1EntrySchema) })),
    })
    .transform((v1) => ({ ...v1, version: 2 as const })),
]);

export type LessonEntry = z.infer<typeof lessonEntrySchema>;
export type Learner = z.infer<typeof learnerSchema>;
export type RoomFile = z.infer<typeof roomFileSchema>;

/** A learner as the dashboard and the exports see them: no secret, no hash. */
export type PublicLearner = Omit<Learner, "secretHash">;

export class RoomFullError extends Error {}

/** Two learners under one name could not be told apart on the dashboard or in the exports. */
export class NameTakenError extends Error {
  constructor(readonly name: string) {
    super(`The name "${name}" is taken in this room: add your surname or an initial, like --name "${name} B."`);
  }
}

export interface RoomStoreOptions {
  /** The JSON file the room is kept in; none keeps it in memory only. */
  file?: string;
  maxLearners?: number;
  now?: () => Date;
  warn?: (line: string) => void;
  /** How long changes gather before one write (ms). */
  saveDelayMs?: number;
}

const token = (bytes: number) => randomBytes(bytes).toString("base64url");
const hash = (secret: string) => createHash("sha256").update(secret).digest("hex");

/** Compares in constant time, so response times do not reveal how much of a guess was right. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(hash(given));
  const b = Buffer.from(hash(expected));
  return timingSafeEqual(a, b);
}

export class RoomStore {
  readonly joinCode: string;
  readonly trainerKey: string;
  readonly maxLearners: number;
  private readonly learners = new Map<string, Learner>();
  /** Each name's key (nameKey) and the learner who has it. */
  private readonly names = new Map<string, string>();
  private readonly file?: string;
  private readonly now: () => Date;
  private readonly saveDelayMs: number;
  private readonly warn: (line: string) => void;
  private saveTimer?: NodeJS.Timeout;
  private saveFailed = false;

  constructor({
    file,
    maxLearners = defaultMaxLearners,
    now = () => new Date(),
    warn = () => {},
    saveDelayMs = 200,
  }: RoomStoreOptions = {}) {
    this.file = file;
    this.now = now;
    this.maxLearners = maxLearners;
    this.saveDelayMs = saveDelayMs;
    this.warn = warn;
    const saved = file ? loadRoomFile(file, warn) : undefined;
    this.joinCode = saved?.joinCode ?? token(9);
    this.trainerKey = saved?.trainerKey ?? token(18);
    for (const learner of saved?.learners ?? []) {
      this.learners.set(learner.id, learner);
      if (!this.names.has(nameKey(learner.name))) this.names.set(nameKey(learner.name), learner.id);
    }
    // A new room is written at once, so its join code survives a restart before anyone joins.
    if (!saved) this.saveNow();
  }

  get size(): number {
    return this.learners.size;
  }

  join(name: string): { id: string; secret: string; name: string } {
    if (this.learners.size >= this.maxLearners)
      throw new RoomFullError(`The room is full (${this.maxLearners} learners).`);
    if (this.names.has(nameKey(name))) throw new NameTakenError(name);
    const id = token(9);
    this.names.set(nameKey(name), id);
    const secret = token(24);
    const at = this.now().toISOString();
    this.learners.set(id, { id, secretHash: hash(secret), name, joinedAt: at, lastSeen: at, lessons: {} });
    this.scheduleSave();
    return { id, secret, name };
  }

  /** The learner whose id and secret these are, if both are right. */
  authenticate(id: string, secret: string): Learner | undefined {
    const learner = this.learners.get(id);
    if (!learner) return undefined;
    return timingSafeEqual(Buffer.from(hash(secret)), Buffer.from(learner.secretHash)) ? learner : undefined;
  }

  has(id: string): boolean {
    return this.learners.has(id);
  }

  rename(learner: Learner, name: string): void {
    const holder = this.names.get(nameKey(name));
    if (holder !== undefined && holder !== learner.id) throw new NameTakenError(name);
    if (this.names.get(nameKey(learner.name)) === learner.id) this.names.delete(nameKey(learner.name));
    this.names.set(nameKey(name), learner.id);
    learner.name = name;
    learner.lastSeen = this.now().toISOString();
    this.scheduleSave();
  }

  record(learner: Learner, status: StatusPayload): void {
    const receivedAt = this.now().toISOString();
    const { lesson, ...entry } = status;
    learner.lessons[lesson] = { ...entry, receivedAt };
    learner.current = lesson;
    learner.lastSeen = receivedAt;
    this.scheduleSave();
  }

  list(): PublicLearner[] {
    return [...this.learners.values()].map(({ secretHash: _, ...learner }) => learner);
  }

  get(id: string): PublicLearner | undefined {
    const learner = this.learners.get(id);
    if (!learner) return undefined;
    const { secretHash: _, ...rest } = learner;
    return rest;
  }

  /** Writes any pending change now (on shutdown). */
  flush(): void {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
      this.saveNow();
    }
  }

  private scheduleSave(): void {
    if (!this.file || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.saveNow();
    }, this.saveDelayMs);
    this.saveTimer.unref();
  }

  private saveNow(): void {
    if (!this.file) return;
    const content: RoomFile = {
      version: 2,
      joinCode: this.joinCode,
      trainerKey: this.trainerKey,
      learners: [...this.learners.values()],
    };
    try {
      writeAtomically(this.file, `${JSON.stringify(content, null, 2)}\n`);
      if (this.saveFailed) this.warn(`${path.basename(this.file)} is saved again.`);
      this.saveFailed = false;
    } catch (error) {
      // A full disk must not stop the room: it carries on in memory and says so, once.
      if (!this.saveFailed) {
        this.warn(
          `Could not save the room to ${this.file} (${(error as Error).message.split("\n")[0]}): it carries on, but a restart would lose it. Free some disk space.`,
        );
      }
      this.saveFailed = true;
    }
  }
}

function loadRoomFile(file: string, warn: (line: string) => void): RoomFile | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return roomFileSchema.parse(JSON.parse(readFileSync(file, "utf8")));
  } catch {
    const aside = `${file}.corrupt-${Date.now()}`;
    renameSync(file, aside);
    warn(
      `${path.basename(file)} was unreadable, so the room starts empty with a new join code (the old file is kept as ${path.basename(aside)}).`,
    );
    return undefined;
  }
}
