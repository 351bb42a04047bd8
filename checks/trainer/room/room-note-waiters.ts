import type { ServerResponse } from "node:http";
import type { LearnerNote } from "../../learner/room/protocol.ts";

// Watch mode asks for the learner's notes and waits for an answer (a long poll): the room answers
// at once when the notes differ from those the learner already has, else it holds the request
// until they change or the wait is over. A learner in watch mode then sees a note within moments
// of its sending, at the cost of one request every `maxWaitSeconds`, where polling every second
// would have cost a room of 2,000 learners 2,000 requests a second.

export const maxWaitSeconds = 25;

/** The notes a learner has, as one string: the ids in order (ids hold no comma). */
export function notesKey(notes: readonly Pick<LearnerNote, "id">[]): string {
  return notes.map((note) => note.id).join(",");
}

interface Waiter {
  /** The notes the learner has now, read afresh. */
  pending(): LearnerNote[];
  known: string;
  answer(notes: LearnerNote[]): void;
}

export class NoteWaiters {
  readonly #waiting = new Set<Waiter>();

  get size(): number {
    return this.#waiting.size;
  }

  /**
   * Answers with the learner's notes once they differ from `known`, or after `waitMs` with them as
   * they are; nothing when the request goes away first.
   */
  hold(
    response: ServerResponse,
    pending: () => LearnerNote[],
    known: string,
    waitMs: number,
    answer: (notes: LearnerNote[]) => void,
  ): void {
    const waiter: Waiter = {
      pending,
      known,
      answer: (notes) => {
        stop();
        answer(notes);
      },
    };
    const timer = setTimeout(() => waiter.answer(pending()), waitMs);
    timer.unref();
    const stop = () => {
      clearTimeout(timer);
      this.#waiting.delete(waiter);
      response.off("close", stop);
    };
    response.on("close", stop);
    this.#waiting.add(waiter);
  }

  /** The notes changed: every learner whose notes now differ from what they have is answered. */
  changed(): void {
    for (const waiter of [...this.#waiting]) {
      const notes = waiter.pending();
      if (notesKey(notes) !== waiter.known) waiter.answer(notes);
    }
  }
}
