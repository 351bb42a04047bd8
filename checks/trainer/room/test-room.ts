import { mkdtempSync, rmSync } from "node:fs";
import { type IncomingHttpHeaders, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { LessonStatusEvent } from "../../learner/room/status.ts";
import type { LessonSummary } from "./room-lessons.ts";
import { type RoomServerOptions, createRoomServer } from "./room-server.ts";
import { RoomStore, type RoomStoreOptions } from "./room-store.ts";
import type { Changes, Snapshot } from "./room-view.ts";

// A room on a free local port with its file in a temporary folder, for the room's own tests.

export const testLessons: LessonSummary[] = [
  { id: "lesson-1", number: 1, pattern: "errors", title: "One error class", hints: 3 },
  { id: "lesson-2", number: 2, pattern: "validation", title: "Schemas", hints: 3 },
  { id: "lesson-3", number: 3, pattern: "repository", title: "A repository", hints: 3 },
];

export interface TestRoom {
  origin: string;
  joinUrl: string;
  dashboardUrl: string;
  store: RoomStore;
  dir: string;
  file: string;
  join(name: string): Promise<{ id: string; secret: string; name: string }>;
  post(route: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  sendStatus(learner: { id: string; secret: string }, status: Partial<LessonStatusEvent>): Promise<Response>;
  /** Stops the server (its file stays, for restart tests). */
  stop(): Promise<void>;
  remove(): Promise<void>;
}

export function statusFor(overrides: Partial<LessonStatusEvent> = {}): LessonStatusEvent {
  return {
    event: "check",
    lesson: "lesson-1",
    status: "started",
    solvedByCopy: false,
    passing: 2,
    total: 5,
    tests: "checked",
    hintsUsed: 0,
    failingTest: "ApiError › keeps the status",
    diagnosis: null,
    minutes: 3,
    startedAt: "2026-11-30T09:57:00.000Z",
    passedAt: null,
    lastChecked: "2026-11-30T10:00:00.000Z",
    at: "2026-11-30T10:00:00.000Z",
    savedAt: null,
    ...overrides,
  };
}

export async function startTestRoom(
  options: {
    dir?: string;
    lessons?: LessonSummary[];
    store?: Omit<RoomStoreOptions, "file">;
    server?: Omit<RoomServerOptions, "store" | "lessons">;
  } = {},
): Promise<TestRoom> {
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), "workbook-room-"));
  const file = path.join(dir, "room-state.json");
  const store = new RoomStore({ file, saveDelayMs: 10, ...options.store });
  const room = createRoomServer({
    store,
    lessons: options.lessons ?? testLessons,
    broadcastDelayMs: 20,
    // The tests join many learners from one address; the limit itself is tested on its own.
    joinBurst: 10_000,
    ...options.server,
  });
  await new Promise<void>((resolve) => room.server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(room.server.address() as AddressInfo).port}`;
  const post = (route: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${origin}${route}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await room.close();
  };
  return {
    origin,
    joinUrl: `${origin}/join/${store.joinCode}`,
    dashboardUrl: `${origin}/?key=${store.trainerKey}`,
    store,
    dir,
    file,
    post,
    async join(name) {
      const response = await post(`/join/${store.joinCode}`, { name });
      if (response.status !== 201) throw new Error(`join failed: ${response.status} ${await response.text()}`);
      return (await response.json()) as { id: string; secret: string; name: string };
    },
    sendStatus: (learner, status) =>
      post(`/learners/${learner.id}/status`, statusFor(status), { Authorization: `Bearer ${learner.secret}` }),
    stop,
    async remove() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A request from a given local address (127.0.0.2 is this machine too, but another address to the room). */
export function requestFrom(
  localAddress: string,
  url: string,
  { method = "GET", body, headers = {} }: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: unknown }> {
  return new Promise((resolve, reject) => {
    const sent = request(
      url,
      { method, localAddress, headers: { "Content-Type": "application/json", ...headers }, agent: false },
      (response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => (text += chunk));
        response.on("end", () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // Not JSON: kept as text.
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: parsed });
        });
      },
    );
    sent.on("error", reject);
    sent.end(body);
  });
}

interface Feed {
  /** The data of the next event of this name (for which `matches` holds), passing over any other. */
  next(event: "snapshot"): Promise<Snapshot>;
  next(event: "changes", matches?: (data: Changes) => boolean): Promise<Changes>;
  close(): void;
}

/** The dashboard's live feed, read as the page reads it. */
export async function openFeed(room: TestRoom, timeoutMs = 5_000): Promise<Feed> {
  const controller = new AbortController();
  const response = await fetch(`${room.origin}/events?key=${room.store.trainerKey}`, { signal: controller.signal });
  if (response.headers.get("content-type") !== "text/event-stream; charset=utf-8")
    throw new Error(`not a feed: ${response.status} ${await response.text()}`);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const messages: { event: string; data: Snapshot & Changes }[] = [];
  return {
    async next(event: string, matches: (data: Snapshot & Changes) => boolean = () => true) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (let message = messages.shift(); message; message = messages.shift())
          if (message.event === event && matches(message.data)) return message.data;
        if (Date.now() > deadline) throw new Error(`no "${event}" event within ${timeoutMs} ms`);
        const { value, done } = await reader.read();
        if (done) throw new Error(`the feed ended before a "${event}" event`);
        const parts = (text + value).split("\n\n");
        text = parts.pop()!;
        for (const part of parts) {
          const found = /^event: (.+)\ndata: (.*)$/m.exec(part);
          if (found) messages.push({ event: found[1]!, data: JSON.parse(found[2]!) });
        }
      }
    },
    close: () => controller.abort(),
  };
}

/** A server that accepts connections and never answers: a room on bad Wi-Fi. */
export async function startSilentServer(): Promise<{ origin: string; requests: () => number; close(): Promise<void> }> {
  let count = 0;
  const server = createServer(() => {
    count++;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => count,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
