import { z } from "zod";
import type { LearnerNote } from "../../learner/room/protocol.ts";

// The trainer's notes: a short line to one learner or to the whole room, shown in the learner's
// watch mode and after their checks until they dismiss it. A note to the room reaches every
// learner in it when it was sent (one who joins later did not hear it said either). The room
// keeps the latest `maxNotes`, in its file, so a restart keeps them; an older note is dropped,
// read or not: by then it is old news.

export const maxNotes = 50;

export const noteSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  /** The learner it is for; null for the whole room. */
  to: z.string().nullable(),
  text: z.string(),
  /** The room's clock. */
  sentAt: z.string(),
  /** How many learners it was for when sent. */
  recipients: z.number().int().min(0),
  /** Ids of the learners who dismissed it. */
  dismissed: z.array(z.string()),
});

export type Note = z.infer<typeof noteSchema>;

/** A note as the dashboard shows it: who it went to, and how many dismissed it. */
export interface NoteView {
  id: string;
  to: string | null;
  text: string;
  sentAt: string;
  recipients: number;
  dismissed: number;
}

interface Recipient {
  id: string;
  joinedAt: string;
}

export class NoteBoard {
  /** Oldest first. */
  readonly #notes: Note[];
  readonly #dismissed = new Map<string, Set<string>>();
  /** Grows with every change, so that the dashboards' feed sends the notes only when they moved. */
  version = 0;
  readonly #listeners = new Set<() => void>();

  constructor(saved: readonly Note[] = []) {
    this.#notes = saved.slice(-maxNotes).map((note) => ({ ...note }));
    for (const note of this.#notes) this.#dismissed.set(note.id, new Set(note.dismissed));
  }

  /** Tells `listener` of every change to the notes; returns what stops it. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    this.version++;
    for (const listener of this.#listeners) listener();
  }

  add(note: Omit<Note, "dismissed">): Note {
    const added = { ...note, dismissed: [] };
    this.#notes.push(added);
    this.#dismissed.set(added.id, new Set());
    if (this.#notes.length > maxNotes) this.#dismissed.delete(this.#notes.shift()!.id);
    this.#changed();
    return added;
  }

  /** The notes for this learner not dismissed yet, oldest first. */
  pendingFor(learner: Recipient): LearnerNote[] {
    const pending: LearnerNote[] = [];
    for (const note of this.#notes) {
      if (!isFor(note, learner) || this.#dismissed.get(note.id)!.has(learner.id)) continue;
      pending.push({ id: note.id, text: note.text, sentAt: note.sentAt, toRoom: note.to === null });
    }
    return pending;
  }

  /** Marks a note dismissed by this learner; false when there is no such note for them. */
  dismiss(learner: Recipient, noteId: string): boolean {
    const note = this.#notes.find((n) => n.id === noteId);
    if (!note || !isFor(note, learner)) return false;
    const dismissed = this.#dismissed.get(note.id)!;
    if (dismissed.has(learner.id)) return true;
    dismissed.add(learner.id);
    note.dismissed.push(learner.id);
    this.#changed();
    return true;
  }

  /** A learner left the room: the notes to them go, and so do their dismissals. */
  forget(learnerId: string): void {
    let changed = false;
    for (let i = this.#notes.length - 1; i >= 0; i--) {
      const note = this.#notes[i]!;
      if (note.to === learnerId) {
        this.#notes.splice(i, 1);
        this.#dismissed.delete(note.id);
        changed = true;
      } else if (this.#dismissed.get(note.id)!.delete(learnerId)) {
        note.dismissed = note.dismissed.filter((id) => id !== learnerId);
        changed = true;
      }
    }
    if (changed) this.#changed();
  }

  views(): NoteView[] {
    return this.#notes.map(({ dismissed, ...note }) => ({ ...note, dismissed: dismissed.length }));
  }

  /** The notes as the room's file keeps them. */
  saved(): Note[] {
    return this.#notes;
  }
}

/** Whether a note is for this learner: to them, or to the room they were in when it was sent. */
function isFor(note: Note, learner: Recipient): boolean {
  return note.to === null ? learner.joinedAt <= note.sentAt : note.to === learner.id;
}
