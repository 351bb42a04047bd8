import { type LearnerNote, learnerNotesSchema } from "./protocol.ts";

// The trainer's notes, as the learner's workbook fetches and dismisses them. Like the statuses,
// they never disturb the learner: every request has a time limit, never throws, and a room that
// is down or slow costs one timeout at a time. Watch mode asks and waits (watchNotes, a long
// poll): the room answers as soon as the notes change, or after `waitSeconds` with nothing new;
// one request at a time, at most one a second, waiting longer after each failure, up to 15 s.

export interface PendingOptions {
  /** The request's time limit (ms); a wait adds to it. */
  timeoutMs?: number;
  /** Seconds the room may hold the request while the notes are still `known`'s. */
  waitSeconds?: number;
  /** The notes the learner has now. */
  known?: readonly LearnerNote[];
  /** Ends the question early: watch mode stopping must not wait for the room. */
  signal?: AbortSignal;
}

export interface RoomNotes {
  /** The notes for this learner not dismissed yet, oldest first; undefined when the room did not answer so. */
  pending(options?: PendingOptions): Promise<LearnerNote[] | undefined>;
  /** Tells the room the learner has read this note; false when it could not be told. */
  dismiss(noteId: string, timeoutMs?: number): Promise<boolean>;
}

const notesTimeoutMs = 1000;
/** How long watch mode lets the room hold its question: under the room's limit (25 s). */
const notesWaitSeconds = 20;

/** Who asks: the learner's membership of the room (client.ts's RoomMembership has it). */
interface Asker {
  joinUrl: string;
  id: string;
  secret: string;
}

/** Notes for whoever `membership()` says the learner is now (a rejoin changes it; none once removed). */
export function roomNotes(membership: () => Asker | undefined, fetchImpl: typeof fetch = globalThis.fetch): RoomNotes {
  const request = async (path: string, method: string, timeoutMs: number, signal?: AbortSignal) => {
    const member = membership();
    if (!member) return undefined;
    const url = `${new URL(member.joinUrl).origin}/learners/${encodeURIComponent(member.id)}/notes${path}`;
    return fetchImpl(url, {
      method,
      headers: { Authorization: `Bearer ${member.secret}` },
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs),
    });
  };
  return {
    async pending({ timeoutMs = notesTimeoutMs, waitSeconds = 0, known = [], signal } = {}) {
      const query = waitSeconds > 0 ? `?wait=${waitSeconds}&known=${known.map((note) => note.id).join(",")}` : "";
      try {
        const response = await request(query, "GET", timeoutMs + waitSeconds * 1000, signal);
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

interface WatchNotesOptions {
  /** The least time between two questions (ms), however soon the room answers. */
  intervalMs?: number;
  /** The longest wait between two questions, after failures. */
  maxDelayMs?: number;
  waitSeconds?: number;
}

/** Asks for the notes now, then again as each answer comes, until stopped; `onNotes` hears every answer. */
export function watchNotes(
  source: RoomNotes,
  onNotes: (notes: LearnerNote[]) => void,
  { intervalMs = 1000, maxDelayMs = 15_000, waitSeconds = notesWaitSeconds }: WatchNotesOptions = {},
): () => void {
  let stopped = false;
  let delay = intervalMs;
  let timer: NodeJS.Timeout | undefined;
  // The first question is answered at once: notes sent while watch mode was not running.
  let known: LearnerNote[] | undefined;
  const stopping = new AbortController();
  const ask = async () => {
    const askedAt = Date.now();
    const notes = await source.pending(known ? { waitSeconds, known, signal: stopping.signal } : {});
    if (stopped) return;
    // A room that does not answer is asked less and less often; one that answers, again at once,
    // but never more than once an interval (a room that does not hold questions answers at once).
    delay = notes ? intervalMs : Math.min(delay * 2, maxDelayMs);
    timer = setTimeout(() => void ask(), notes ? Math.max(0, askedAt + intervalMs - Date.now()) : delay);
    timer.unref();
    if (notes) {
      known = notes;
      onNotes(notes);
    }
  };
  void ask();
  return () => {
    stopped = true;
    clearTimeout(timer);
    stopping.abort();
  };
}
