import type { StatusPayload } from "../../learner/room/protocol.ts";

// When a learner counts as stuck, on clear signals the trainer can act on, each named so the
// dashboard says which: the same first failure for 10 minutes or 8 checks, no save for 10 minutes
// while failing, or every hint of the lesson taken. Only a lesson the learner has started and not
// passed can be stuck. What the signals need beyond the status is tracked as each status arrives
// (trackFailure, O(1) per status) and kept with the lesson's entry in the room's file; the
// signals themselves are read at any time against the room's clock (stuckSignals), since some
// come from time passing with no status at all.

const stuckRules = {
  /** The same first failure for this long… */
  sameFailureMinutes: 10,
  /** …or over this many checks. */
  sameFailureChecks: 8,
  /** No save for this long while failing. */
  noSaveMinutes: 10,
};

export type StuckSignal =
  /** The same first failure since `since` (the room's clock), over `checks` checks. */
  | { kind: "same-failure"; since: string; checks: number }
  /** No file of the lesson saved since `since` (the room's clock). */
  | { kind: "no-save"; since: string }
  /** All `hints` of the lesson's hints taken. */
  | { kind: "all-hints"; hints: number };

/** What the room tracks per lesson, beside the status the learner's workbook derived. */
interface FailureTrack {
  /** When the room first heard the current first failure; null while the lesson is not failing. */
  failingSince: string | null;
  /** Checks (npm run check, or a run in watch mode) that reported this same first failure. */
  checksOnFailure: number;
  /** When a file of the lesson was last saved, by the room's clock; null when unknown. */
  savedAt: string | null;
}

type Reported = Pick<StatusPayload, "event" | "status" | "failingTest" | "diagnosis">;

/**
 * Which failure a learner is on: the first failing test, whatever mistake it is diagnosed as this
 * time (trying one wrong fix after another on the same test is still being stuck on it); the
 * diagnosis stands in only when no test is named. Null when the lesson is not failing.
 */
export function failureOf(entry: Reported): string | null {
  if (entry.status !== "started") return null;
  if (entry.failingTest) return `test:${entry.failingTest}`;
  return entry.diagnosis ? `mistake:${entry.diagnosis.mistake}` : null;
}

/** The track after a status arrives at `receivedAt` (the room's clock), from the lesson's previous entry. */
export function trackFailure(
  previous: (Reported & FailureTrack) | undefined,
  status: Reported & Pick<StatusPayload, "at" | "savedAt">,
  receivedAt: Date,
): FailureTrack {
  const failure = failureOf(status);
  // Watch mode's runs and npm run check are checks; a hint, a solve or a reset is not.
  const check = status.event === "check" || status.event === "watch" ? 1 : 0;
  const same = failure !== null && previous !== undefined && failureOf(previous) === failure;
  return {
    failingSince: failure === null ? null : same ? previous.failingSince : receivedAt.toISOString(),
    checksOnFailure: failure === null ? 0 : (same ? previous.checksOnFailure : 0) + check,
    savedAt: savedByRoomClock(status, receivedAt),
  };
}

/**
 * The learner's save time on the room's clock: the learner's clock may be minutes off the
 * trainer's, so what counts is how long before their status the save was, by their own clock.
 */
function savedByRoomClock(status: Pick<StatusPayload, "at" | "savedAt">, receivedAt: Date): string | null {
  if (status.savedAt === null) return null;
  const before = Date.parse(status.at) - Date.parse(status.savedAt);
  return new Date(receivedAt.getTime() - Math.max(0, before)).toISOString();
}

/** Each entry's times, read once: an entry is replaced, never changed, when a status arrives. */
const times = new WeakMap<object, { failingSince: number; savedAt: number }>();

function timesOf(entry: FailureTrack): { failingSince: number; savedAt: number } {
  let read = times.get(entry);
  if (!read) {
    read = {
      failingSince: entry.failingSince === null ? Number.NaN : Date.parse(entry.failingSince),
      savedAt: entry.savedAt === null ? Number.NaN : Date.parse(entry.savedAt),
    };
    times.set(entry, read);
  }
  return read;
}

const noSignals: readonly StuckSignal[] = Object.freeze([]);
const sameFailureMs = stuckRules.sameFailureMinutes * 60_000;
const noSaveMs = stuckRules.noSaveMinutes * 60_000;

/**
 * The signals a learner's lesson gives at `nowMs` (the room's clock), given how many hints the
 * lesson has. Read for every learner each time the dashboards' summary is: nothing is made for a
 * learner who is not stuck.
 */
export function stuckSignals(
  entry: Pick<StatusPayload, "status" | "hintsUsed"> & FailureTrack,
  hints: number,
  nowMs: number,
): readonly StuckSignal[] {
  if (entry.status !== "started") return noSignals;
  const { failingSince, savedAt } = timesOf(entry);
  const sameFailure =
    entry.failingSince !== null &&
    (nowMs - failingSince >= sameFailureMs || entry.checksOnFailure >= stuckRules.sameFailureChecks);
  const noSave = entry.savedAt !== null && nowMs - savedAt >= noSaveMs;
  const allHints = hints > 0 && entry.hintsUsed >= hints;
  if (!sameFailure && !noSave && !allHints) return noSignals;
  const signals: StuckSignal[] = [];
  if (sameFailure) signals.push({ kind: "same-failure", since: entry.failingSince!, checks: entry.checksOnFailure });
  if (noSave) signals.push({ kind: "no-save", since: entry.savedAt! });
  if (allHints) signals.push({ kind: "all-hints", hints });
  return signals;
}
