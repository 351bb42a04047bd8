import { type LearnerNote, learnerNotesSchema } from "./protocol.ts";

// The trainer's notes, as the learner's workbook fetches and dismisses them. Like the statuses,
// they never disturb the learner: every request has a short time limit, never throws, and a room
// that is down or slow costs one timeout at a time. Watch mode polls (pollNotes) about once a
// second, one request at a time, waiting longer after each failure, up to 15 s.

export interface RoomNotes {
  /** The notes for this learner not dismissed yet, oldest first; undefined when the room did not answer so. */
  pending(timeoutMs?: number): Promise<LearnerNote[] | undefined>;
  /** Tells the room the learner has read this note; false when it could not be told. */
  dismiss(noteId: string, timeoutMs?: number): Promise<boolean>;
}

export const notesTimeoutMs = 1000;

/** Who asks: the learner's membership of the room (client.ts's RoomMembership has it). */
interface Asker {
  joinUrl: string;
  id: string;
  secret: string;
}

/** Notes for whoever `membership()` says the learner is now (a rejoin changes it; none once removed). */
export function roomNotes(membership: () => Asker | undefined, fetchImpl: typeof fetch = globalThis.fetch): RoomNotes {
  const request = async (path: string, method: string, timeoutMs: number) => {
    const member = membership();
    if (!member) return undefined;
    const url = `${new URL(member.joinUrl).origin}/learners/${encodeURIComponent(member.id)}/notes${path}`;
    return fetchImpl(url, {
      method,
      headers: { Authorization: `Bearer ${member.secret}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
  };
  return {
    async pending(timeoutMs = notesTimeoutMs) {
      try {
        const response = await request("", "GET", timeoutMs);
        if (!response?.ok) {
          await response?.body?.cancel();
          return undefined;
        }
        const parsed = learnerNotesSchema.safeParse(await response.json());
        return parsed.success ? parsed.data.notes : undefined;
      } catch {
        return undefined;
      }
    },
    async dismiss(noteId, timeoutMs = notesTimeoutMs) {
      try {
        const response = await request(`/${encodeURIComponent(noteId)}/dismiss`, "POST", timeoutMs);
        await response?.body?.cancel();
        return response?.ok ?? false;
      } catch {
        return false;
      }
    },
  };
}

export interface PollOptions {
  intervalMs?: number;
  /** The longest wait between two requests, after failures. */
  maxDelayMs?: number;
}

/** Asks for the notes now and then every `intervalMs` until stopped; `onNotes` hears every answer. */
export function pollNotes(
  source: RoomNotes,
  onNotes: (notes: LearnerNote[]) => void,
  { intervalMs = 1000, maxDelayMs = 15_000 }: PollOptions = {},
): () => void {
  let stopped = false;
  let delay = intervalMs;
  let timer: NodeJS.Timeout | undefined;
  const ask = async () => {
    const notes = await source.pending();
    if (stopped) return;
    // A room that does not answer is asked less and less often; one that answers, every interval.
    delay = notes ? intervalMs : Math.min(delay * 2, maxDelayMs);
    timer = setTimeout(() => void ask(), delay);
    timer.unref();
    if (notes) onNotes(notes);
  };
  void ask();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
