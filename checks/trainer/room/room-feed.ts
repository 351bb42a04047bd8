import type { IncomingMessage, ServerResponse } from "node:http";
import type { LessonSummary } from "./room-lessons.ts";
import type { RoomStore } from "./room-store.ts";
import { type LessonFacts, lessonFacts, summarizeRoom } from "./room-summary.ts";
import { HttpError, securityHeaders } from "./room-http.ts";
import { type Changes, type RoomSettingsView, type Snapshot, learnerViews } from "./room-view.ts";
import type { PublicLearner } from "./room-store.ts";

// The dashboards' live feed (server-sent events): a snapshot when a dashboard connects, then every
// `delayMs` the learners that changed, those removed, and the room's settings and summary when they
// moved, and the notes whenever one was sent or dismissed. Stuck signals also come from time
// passing with nothing sent (no save for 10 minutes), so the summary is read again every
// `refreshMs` too, and sent if it moved. Each message is serialised once for every dashboard. A
// dashboard that stops reading is dropped once its backlog passes `maxBacklogBytes`; its browser
// reconnects and gets a fresh snapshot, so a stalled tab never grows the room's memory.

interface DashboardFeedOptions {
  store: RoomStore;
  lessons: LessonSummary[];
  joinUrl?: string;
  now: () => Date;
  delayMs: number;
  maxDashboards: number;
  maxBacklogBytes?: number;
  heartbeatMs?: number;
  /** How often the summary is read again for signals that time alone raises (ms). */
  refreshMs?: number;
}

export interface DashboardFeed {
  /** Streams to this response until the dashboard goes; throws 503 when too many are open. */
  open(request: IncomingMessage, response: ServerResponse): void;
  /** A learner joined, changed or was removed. */
  learnerChanged(id: string): void;
  /** The room's own settings or notes changed (joining opened or closed, a note sent or dismissed). */
  roomChanged(): void;
  close(): void;
}

/** The room's settings as the dashboard shows them. */
function settingsOf(store: RoomStore, joinUrl: string | undefined): RoomSettingsView {
  return { joinUrl: joinUrl ?? null, joining: store.joining, learners: store.size, maxLearners: store.maxLearners };
}

function summaryOf(options: DashboardFeedOptions, facts: LessonFacts) {
  return summarizeRoom(options.store.each(), facts, options.now().getTime());
}

function snapshotMessage(options: DashboardFeedOptions, facts: LessonFacts): string {
  const { store } = options;
  const snapshot: Snapshot = {
    now: options.now().toISOString(),
    room: settingsOf(store, options.joinUrl),
    lessons: options.lessons,
    ...learnerViews(store.each(), options.lessons),
    summary: summaryOf(options, facts),
    notes: store.noteViews().notes,
  };
  return `retry: 2000\n\nevent: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`;
}

/**
 * Builds each changes message from the learners that changed, and what the last message said;
 * nothing when nothing changed (a refresh that found the summary as it was).
 */
function changesWriter(options: DashboardFeedOptions, facts: LessonFacts) {
  let lastSummary = "";
  let lastSettings = "";
  let lastNotes = -1;
  return {
    /** The next message repeats the settings, summary and notes, whatever the last one said. */
    repeatAll() {
      lastSummary = lastSettings = "";
      lastNotes = -1;
    },
    message(changed: Iterable<string>): string | undefined {
      const { store } = options;
      const present: PublicLearner[] = [];
      const removed: string[] = [];
      for (const id of changed) {
        const learner = store.get(id);
        if (learner) present.push(learner);
        else removed.push(id);
      }
      const changes: Changes = { now: options.now().toISOString(), ...learnerViews(present, options.lessons), removed };
      const room = settingsOf(store, options.joinUrl);
      if (JSON.stringify(room) !== lastSettings) changes.room = room;
      lastSettings = JSON.stringify(room);
      const summary = summaryOf(options, facts);
      if (JSON.stringify(summary) !== lastSummary) changes.summary = summary;
      lastSummary = JSON.stringify(summary);
      const { version, notes } = store.noteViews();
      if (version !== lastNotes) changes.notes = notes;
      lastNotes = version;
      const news =
        changes.learners.length > 0 || removed.length > 0 || changes.room || changes.summary || changes.notes;
      return news ? `event: changes\ndata: ${JSON.stringify(changes)}\n\n` : undefined;
    },
  };
}

/** Writes to one dashboard; one that stopped reading is dropped (its browser reconnects for a snapshot). */
function sendTo(response: ServerResponse, message: string, maxBacklogBytes: number): void {
  if (response.writableLength > maxBacklogBytes) response.destroy();
  else response.write(message);
}

export function createDashboardFeed(options: DashboardFeedOptions): DashboardFeed {
  const { maxDashboards, maxBacklogBytes = 16 * 2 ** 20, heartbeatMs = 15_000, refreshMs = 15_000 } = options;
  const facts = lessonFacts(options.lessons);
  const dashboards = new Set<ServerResponse>();
  const changed = new Set<string>();
  const writer = changesWriter(options, facts);
  let timer: NodeJS.Timeout | undefined;

  const send = (response: ServerResponse, message: string) => sendTo(response, message, maxBacklogBytes);
  const broadcast = () => {
    timer = undefined;
    const message = writer.message(changed);
    changed.clear();
    if (message === undefined) return;
    for (const dashboard of dashboards) send(dashboard, message);
  };
  const schedule = () => {
    timer ??= setTimeout(broadcast, options.delayMs);
  };
  const refresh = setInterval(() => {
    if (dashboards.size > 0) schedule();
  }, refreshMs);
  refresh.unref();

  return {
    open(request, response) {
      if (dashboards.size >= maxDashboards)
        throw new HttpError(503, `At most ${maxDashboards} dashboards can be open at once: close one and reload.`);
      response.writeHead(200, {
        ...securityHeaders,
        "Content-Type": "text/event-stream; charset=utf-8",
        Connection: "keep-alive",
      });
      response.write(snapshotMessage(options, facts));
      dashboards.add(response);
      writer.repeatAll();
      const heartbeat = setInterval(() => send(response, ": still here\n\n"), heartbeatMs);
      request.on("close", () => {
        clearInterval(heartbeat);
        dashboards.delete(response);
      });
    },
    learnerChanged(id) {
      changed.add(id);
      schedule();
    },
    roomChanged: schedule,
    close() {
      clearTimeout(timer);
      clearInterval(refresh);
      for (const dashboard of dashboards) dashboard.end();
      dashboards.clear();
    },
  };
}
