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

export interface RoomReporterOptions {
  /** Per request (ms). */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Called with the new membership when the room had forgotten the learner and they joined again. */
  onRejoin?: (membership: RoomMembership) => void;
}

export type RoomReporter = ((status: LessonStatusEvent) => void) & {
  /** Resolves once everything queued is sent or dropped, or after `waitMs`, whichever is first. */
  flush(waitMs?: number): Promise<void>;
};

export const roomTimeoutMs = 1000;

/** Where a learner's requests go, from the join link: the same origin. */
export function roomOrigin(joinUrl: string): string {
  return new URL(joinUrl).origin;
}

export function createRoomReporter(
  settings: RoomMembership,
  { timeoutMs = roomTimeoutMs, fetch: fetchImpl = globalThis.fetch, onRejoin }: RoomReporterOptions = {},
): RoomReporter {
  let membership = settings;
  const queue = new Map<string, LessonStatusEvent>();
  let running: Promise<void> | undefined;
  // After the room refused this learner for good (wrong secret), stop sending.
  let refused = false;

  const post = (url: string, body: unknown, secret?: string) =>
    fetchImpl(url, {
      method: url.endsWith("/name") ? "PUT" : "POST",
      headers: { "Content-Type": "application/json", ...(secret && { Authorization: `Bearer ${secret}` }) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });

  const sendOne = async (status: LessonStatusEvent) => {
    const url = `${roomOrigin(membership.joinUrl)}/learners/${encodeURIComponent(membership.id)}/status`;
    const response = await post(url, status, membership.secret);
    await response.body?.cancel();
    if (response.status === 403) refused = true;
    if (response.status === 404) {
      // The room was restarted without its file: join again under the same name, then resend once.
      const joined = await post(membership.joinUrl, { name: membership.name });
      if (!joined.ok) {
        await joined.body?.cancel();
        return;
      }
      const { id, secret, name } = (await joined.json()) as { id: string; secret: string; name: string };
      membership = { ...membership, id, secret, name };
      onRejoin?.(membership);
      const again = await post(
        `${roomOrigin(membership.joinUrl)}/learners/${encodeURIComponent(id)}/status`,
        status,
        secret,
      );
      await again.body?.cancel();
    }
  };

  const drain = async () => {
    while (queue.size > 0 && !refused) {
      const [lesson, status] = queue.entries().next().value as [string, LessonStatusEvent];
      queue.delete(lesson);
      try {
        await sendOne(status);
      } catch {
        // Unreachable, slow or gone: this status is dropped; the next verdict brings a newer one.
      }
    }
    queue.clear();
    running = undefined;
  };

  const report = ((status: LessonStatusEvent) => {
    try {
      if (refused) return;
      queue.delete(status.lesson);
      queue.set(status.lesson, status);
      running ??= drain();
    } catch {
      // Never let the room disturb the learner.
    }
  }) as RoomReporter;

  report.flush = (waitMs = timeoutMs) => {
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
