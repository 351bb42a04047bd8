import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import path from "node:path";
import { setImmediate } from "node:timers/promises";
import { type LearnerNote, type StatusPayload, nameKey } from "../../learner/room/protocol.ts";
import {
  type Learner,
  type SavedRoom,
  loadRoomFile,
  roomFileChunks,
  writeRoomFile,
  writeRoomFileNow,
} from "./room-file.ts";
import { type RoomLock, lockRoomFile } from "./room-lock.ts";
import { type Note, NoteBoard, type NoteView } from "./room-notes.ts";
import { trackFailure } from "./room-signals.ts";
import { type Saver, createSaver } from "./room-saver.ts";

export type { Learner, LessonEntry } from "./room-file.ts";
export { RoomInUseError } from "./room-lock.ts";

// Everything the room knows: its join code, the trainer's key, and per learner the last status of
// each lesson. Bounded (a cap on learners, one entry per known lesson each) and kept in a file
// beside the room (room-file.ts), so a restart of the room loses nothing.

export const defaultMaxLearners = 500;

/** A learner as the dashboard and the exports see them: no secret, no hash. */
export type PublicLearner = Omit<Learner, "secretHash">;

export class RoomFullError extends Error {}

export class JoiningClosedError extends Error {
  constructor() {
    super("The trainer has closed joining for now: ask them to open it, then run the same command again.");
  }
}

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
  /** Told to a second room that tries to open the same file (the port this room serves). */
  lockDetails?: Record<string, unknown>;
}

/** Removed learners remembered, so that a removed learner's workbook is told so and stops. */
const maxRemembered = 10_000;

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
  private joiningOpen: boolean;
  /** The last number given to a learner who joined: numbers are never given twice. */
  private lastNumber: number;
  /** Ids of learners the trainer removed, newest last, at most maxRemembered of them. */
  private readonly removedIds: Set<string>;
  private readonly learners = new Map<string, Learner>();
  private readonly notes: NoteBoard;
  /** Each name's key (nameKey) and the learner who has it. */
  private readonly names = new Map<string, string>();
  /** Each learner as a line of the file, encoded again only when the learner changed. */
  private readonly lines = new Map<string, Buffer>();
  private readonly changed = new Set<string>();
  private readonly file?: string;
  private readonly now: () => Date;
  private readonly warn: (line: string) => void;
  private readonly saver: Saver;
  private readonly lock?: RoomLock;
  private saveFailed = false;

  constructor({
    file,
    maxLearners = defaultMaxLearners,
    now = () => new Date(),
    warn = () => {},
    saveDelayMs = 200,
    lockDetails,
  }: RoomStoreOptions = {}) {
    this.file = file;
    this.now = now;
    this.maxLearners = maxLearners;
    this.warn = warn;
    this.saver = createSaver(() => this.save(), saveDelayMs);
    // Before anything is read: a second room must not even load a file another room is writing.
    this.lock = file ? lockRoomFile(file, lockDetails) : undefined;
    const saved = file ? loadRoomFile(file, warn, now()) : undefined;
    this.joinCode = saved?.joinCode ?? token(9);
    this.trainerKey = saved?.trainerKey ?? token(18);
    this.joiningOpen = saved?.joining ?? true;
    this.removedIds = new Set(saved?.removed);
    this.notes = new NoteBoard(saved?.notes);
    this.lastNumber = Math.max(saved?.lastNumber ?? 0, ...(saved?.learners ?? []).map((l) => l.number ?? 0));
    for (const learner of saved?.learners ?? []) this.add(learner);
    // A new room is written at once, so its join code survives a restart before anyone joins.
    if (file && !saved) this.saveNow(file);
  }

  get size(): number {
    return this.learners.size;
  }

  get joining(): boolean {
    return this.joiningOpen;
  }

  /** Opens or closes the room to new learners; those in it carry on either way. */
  setJoining(open: boolean): void {
    this.joiningOpen = open;
    if (this.file) this.saver.request();
  }

  join(name: string): { id: string; secret: string; name: string } {
    if (!this.joiningOpen) throw new JoiningClosedError();
    if (this.learners.size >= this.maxLearners)
      throw new RoomFullError(`The room is full (${this.maxLearners} learners).`);
    if (this.names.has(nameKey(name))) throw new NameTakenError(name);
    const id = token(9);
    const secret = token(24);
    const at = this.now().toISOString();
    this.add({ id, secretHash: hash(secret), name, joinedAt: at, lastSeen: at, lessons: {} });
    this.touch(id);
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

  /** Whether the trainer removed this learner (rather than the room never having known them). */
  wasRemoved(id: string): boolean {
    return this.removedIds.has(id);
  }

  /** Takes a learner out of the room; their name is free again. False when there was no such learner. */
  remove(id: string): boolean {
    const learner = this.learners.get(id);
    if (!learner) return false;
    this.learners.delete(id);
    this.notes.forget(id);
    if (this.names.get(nameKey(learner.name)) === id) this.names.delete(nameKey(learner.name));
    this.removedIds.add(id);
    if (this.removedIds.size > maxRemembered) this.removedIds.delete(this.removedIds.values().next().value!);
    this.touch(id);
    return true;
  }

  rename(learner: Learner, name: string): void {
    const holder = this.names.get(nameKey(name));
    if (holder !== undefined && holder !== learner.id) throw new NameTakenError(name);
    if (this.names.get(nameKey(learner.name)) === learner.id) this.names.delete(nameKey(learner.name));
    this.names.set(nameKey(name), learner.id);
    learner.name = name;
    learner.lastSeen = this.now().toISOString();
    this.touch(learner.id);
  }

  record(learner: Learner, status: StatusPayload): void {
    const now = this.now();
    const receivedAt = now.toISOString();
    const { lesson, savedAt: _, ...entry } = status;
    learner.lessons[lesson] = { ...entry, receivedAt, ...trackFailure(learner.lessons[lesson], status, now) };
    learner.current = lesson;
    learner.lastSeen = receivedAt;
    this.touch(learner.id);
  }

  /** Sends a note to one learner (by id) or to the room (null); undefined when there is no such learner. */
  sendNote(to: string | null, text: string): Note | undefined {
    if (to !== null && !this.learners.has(to)) return undefined;
    const note = this.notes.add({
      id: token(9),
      to,
      text,
      sentAt: this.now().toISOString(),
      recipients: to === null ? this.learners.size : 1,
    });
    if (this.file) this.saver.request();
    return note;
  }

  /** The notes for this learner not dismissed yet, oldest first. */
  notesFor(learner: Learner): LearnerNote[] {
    return this.notes.pendingFor(learner);
  }

  /** Marks a note dismissed by this learner; false when there is no such note for them. */
  dismissNote(learner: Learner, noteId: string): boolean {
    const before = this.notes.version;
    if (!this.notes.dismiss(learner, noteId)) return false;
    if (this.file && this.notes.version !== before) this.saver.request();
    return true;
  }

  /** Tells `listener` whenever a note is sent, dismissed or dropped; returns what stops it. */
  onNotesChanged(listener: () => void): () => void {
    return this.notes.onChange(listener);
  }

  /** Every note as the dashboard shows it, and a number that grows whenever they change. */
  noteViews(): { version: number; notes: NoteView[] } {
    return { version: this.notes.version, notes: this.notes.views() };
  }

  /** Every learner as stored, without copying, for a pass that picks fields: never send one as it is (its hash). */
  each(): IterableIterator<Learner> {
    return this.learners.values();
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

  /** Writes any pending change now; resolves once the file on disk holds it. */
  flush(): Promise<void> {
    return this.saver.flush();
  }

  /** Writes what is pending and lets go of the file, for the next room. */
  async close(): Promise<void> {
    await this.flush();
    this.lock?.release();
  }

  private add(learner: Learner): void {
    learner.number ??= ++this.lastNumber;
    this.learners.set(learner.id, learner);
    // Rooms saved before names were unique may hold one name twice: the first keeps it.
    if (!this.names.has(nameKey(learner.name))) this.names.set(nameKey(learner.name), learner.id);
    this.changed.add(learner.id);
  }

  private touch(id: string): void {
    this.changed.add(id);
    if (this.file) this.saver.request();
  }

  private encode(ids: Iterable<string>): void {
    for (const id of ids) {
      const learner = this.learners.get(id);
      if (learner) this.lines.set(id, Buffer.from(JSON.stringify(learner)));
      else this.lines.delete(id);
    }
  }

  /** Encodes the learners that changed, a couple of hundred at a time, letting requests through in between. */
  private async encodeChanged(): Promise<void> {
    const ids = [...this.changed];
    this.changed.clear();
    for (let start = 0; start < ids.length; start += 200) {
      if (start > 0) await setImmediate();
      this.encode(ids.slice(start, start + 200));
    }
  }

  private chunks(): Buffer[] {
    return roomFileChunks(this.room(), [...this.lines.values()]);
  }

  private room(): Omit<SavedRoom, "learners"> {
    return {
      joinCode: this.joinCode,
      trainerKey: this.trainerKey,
      joining: this.joiningOpen,
      removed: [...this.removedIds],
      lastNumber: this.lastNumber,
      notes: this.notes.saved(),
    };
  }

  private saveNow(file: string): void {
    try {
      this.encode(this.changed);
      this.changed.clear();
      writeRoomFileNow(file, this.chunks());
    } catch (error) {
      this.saveFailedOnce(file, error);
    }
  }

  private async save(): Promise<void> {
    if (!this.file) return;
    try {
      await this.encodeChanged();
      await writeRoomFile(this.file, this.chunks());
      if (this.saveFailed) this.warn(`${path.basename(this.file)} is saved again.`);
      this.saveFailed = false;
    } catch (error) {
      this.saveFailedOnce(this.file, error);
    }
  }

  /** A full disk must not stop the room: it carries on in memory and says so, once. */
  private saveFailedOnce(file: string, error: unknown): void {
    if (!this.saveFailed) {
      this.warn(
        `Could not save the room to ${file} (${(error as Error).message.split("\n")[0]}): ` +
          "it carries on, but a restart would lose it. Free some disk space.",
      );
    }
    this.saveFailed = true;
  }
}
