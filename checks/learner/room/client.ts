import { type RoomNotes, roomNotes } from "./notes.ts";
import type { LessonStatusEvent } from "./status.ts";

// Sends the learner's verdicts to the trainer's room, fire-and-forget: the learner's loop never
// waits for it and never sees it fail. At most one request is in flight; statuses that arrive
// meanwhile wait, the newest per lesson replacing an older one, so a down or slow room costs one
// short timeout at a time and nothing piles up. Only counters and a test's name are sent.

export interface RoomMembership {
  /** The join link the trainer gave out, e.g. http://192.168.1.20:4321/join/abc… */
  joinUrl: string;
  id: string;
  secret: string;
  name: string;
}

interface RoomReporterOptions {
  /** Per request (ms). */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Called with the new membership when the room had forgotten the learner and they joined again. */
  onRejoin?: (membership: RoomMembership) => void;
  /** Called when the trainer removed the learner from the room: nothing more is sent to it. */
  onRemoved?: (membership: RoomMembership) => void;
}

export type RoomReporter = ((status: LessonStatusEvent) => void) & {
  /** Resolves once everything queued is sent or dropped, or after `waitMs`, whichever is first. */
  flush(waitMs?: number): Promise<void>;
  /** The trainer's notes to this learner, as the learner now is in the room (none once refused). */
  notes: RoomNotes;
};

const roomTimeoutMs = 1000;

/** Where a learner's requests go, from the join link: the same origin. */
function roomOrigin(joinUrl: string): string {
  return new URL(joinUrl).origin;
}

/** How one status went: sent, or a reason to send nothing more. */
type Outcome = "sent" | "refused" | "removed";

/** Sends one status; when the room has forgotten the learner, joins again under the same name and resends once. */
async function sendStatus(
  membership: RoomMembership,
  status: LessonStatusEvent,
  {
    timeoutMs,
    fetch: fetchImpl,
    onRejoin,
  }: Required<Pick<RoomReporterOptions, "timeoutMs" | "fetch">> & Pick<RoomReporterOptions, "onRejoin">,
): Promise<{ outcome: Outcome; membership: RoomMembership }> {
  const post = (url: string, body: unknown, secret?: string) =>
    fetchImpl(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...(secret && { Authorization: `Bearer ${secret}` }) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  const statusUrl = (id: string) => `${roomOrigin(membership.joinUrl)}/learners/${encodeURIComponent(id)}/status`;
  const response = await post(statusUrl(membership.id), status, membership.secret);
  await response.body?.cancel();
  if (response.status === 403) return { outcome: "refused", membership };
  // Removed by the trainer: joining again is the learner's choice, never the workbook's.
  if (response.status === 410) return { outcome: "removed", membership };
  if (response.status !== 404) return { outcome: "sent", membership };
  // The room was restarted without its file.
  const joined = await post(membership.joinUrl, { name: membership.name });
  if (!joined.ok) {
    await joined.body?.cancel();
    return { outcome: "sent", membership };
  }
  const { id, secret, name } = (await joined.json()) as { id: string; secret: string; name: string };
  const rejoined = { ...membership, id, secret, name };
  onRejoin?.(rejoined);
  const again = await post(statusUrl(id), status, secret);
  await again.body?.cancel();
  return { outcome: "sent", membership: rejoined };
}

export function createRoomReporter(settings: RoomMembership, options: RoomReporterOptions = {}): RoomReporter {
  const sendOptions = {
    timeoutMs: options.timeoutMs ?? roomTimeoutMs,
    fetch: options.fetch ?? globalThis.fetch,
    onRejoin: options.onRejoin,
  };
  let membership = settings;
  const queue = new Map<string, LessonStatusEvent>();
  let running: Promise<void> | undefined;
  // After the room refused this learner for good (wrong secret, removed), stop sending.
  let stopped = false;

  const drain = async () => {
    while (queue.size > 0 && !stopped) {
      const [lesson, status] = queue.entries().next().value as [string, LessonStatusEvent];
      queue.delete(lesson);
      try {
        const sent = await sendStatus(membership, status, sendOptions);
        membership = sent.membership;
        stopped = sent.outcome !== "sent";
        if (sent.outcome === "removed") options.onRemoved?.(membership);
      } catch {
        // Unreachable, slow or gone: this status is dropped; the next verdict brings a newer one.
      }
    }
    queue.clear();
    running = undefined;
  };

  const report = ((status: LessonStatusEvent) => {
    try {
      if (stopped) return;
      queue.delete(status.lesson);
      queue.set(status.lesson, status);
      running ??= drain();
    } catch {
      // Never let the room disturb the learner.
    }
  }) as RoomReporter;

  report.notes = roomNotes(() => (stopped ? undefined : membership), sendOptions.fetch);
  report.flush = (waitMs = sendOptions.timeoutMs) => {
    if (!running) return Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
      timer.unref();
    });
    return Promise.race([running, timeout]).finally(() => clearTimeout(timer));
  };
  return report;
}
