import { readFileSync } from "node:fs";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import { fileURLToPath } from "node:url";
import type { z } from "zod";
import { describeIssue, joinRequestSchema, renameRequestSchema, statusSchema } from "../../learner/room/protocol.ts";
import { roomCsv, roomJson } from "./room-export.ts";
import type { LessonSummary } from "./room-lessons.ts";
import { NameTakenError, type PublicLearner, RoomFullError, type RoomStore, sameSecret } from "./room-store.ts";
import { summarizeRoom } from "./room-summary.ts";

// The room's HTTP server (node:http, no framework). Learners join with the join code and then
// speak only for themselves, with the secret the join gave them; the dashboard, its live feed and
// the downloads need the trainer's key. Every answer is small JSON or a fixed file.

export interface RoomServerOptions {
  store: RoomStore;
  lessons: LessonSummary[];
  /** Shown on the dashboard so the trainer can put it on the projector. */
  joinUrl?: string;
  now?: () => Date;
  /** Longest request body accepted (bytes). */
  maxBodyBytes?: number;
  /** How long changes gather before the dashboards hear of them (ms). */
  broadcastDelayMs?: number;
  maxDashboards?: number;
}

export interface RoomServer {
  server: Server;
  /** Stops accepting, ends the live feeds and writes the room's file. */
  close(): Promise<void>;
}

export const defaultMaxBodyBytes = 4 * 1024;

const publicDir = new URL("./public/", import.meta.url);
const staticFiles: Record<string, { type: string; body: Buffer }> = Object.fromEntries(
  [
    ["/dashboard.js", "text/javascript; charset=utf-8"],
    ["/dashboard.css", "text/css; charset=utf-8"],
  ].map(([route, type]) => [
    route,
    { type: type!, body: readFileSync(fileURLToPath(new URL(`.${route}`, publicDir))) },
  ]),
);
const dashboardHtml = readFileSync(fileURLToPath(new URL("dashboard.html", publicDir)));

// Nothing inline, nothing from elsewhere: even a name that slipped past textContent could not run.
const contentSecurityPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const securityHeaders = {
  "Content-Security-Policy": contentSecurityPolicy,
  "X-Content-Type-Options": "nosniff",
  // The dashboard's URL holds the trainer's key: never pass it on.
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
  "X-Frame-Options": "DENY",
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function createRoomServer({
  store,
  lessons,
  joinUrl,
  now = () => new Date(),
  maxBodyBytes = defaultMaxBodyBytes,
  broadcastDelayMs = 50,
  maxDashboards = 20,
}: RoomServerOptions): RoomServer {
  const knownLessons = new Set(lessons.map((lesson) => lesson.id));
  const dashboards = new Set<ServerResponse>();
  const changed = new Set<string>();
  let broadcastTimer: NodeJS.Timeout | undefined;

  const snapshot = () => {
    const learners = store.list();
    return {
      now: now().toISOString(),
      joinUrl: joinUrl ?? null,
      lessons,
      maxLearners: store.maxLearners,
      learners,
      summary: summarizeRoom(learners),
    };
  };

  const send = (response: ServerResponse, event: string, data: unknown) => {
    response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };

  const markChanged = (id: string) => {
    changed.add(id);
    broadcastTimer ??= setTimeout(() => {
      broadcastTimer = undefined;
      const learners = [...changed]
        .map((learnerId) => store.get(learnerId))
        .filter((learner): learner is PublicLearner => learner !== undefined);
      changed.clear();
      const update = { now: now().toISOString(), learners, summary: summarizeRoom(store.list()) };
      for (const dashboard of dashboards) send(dashboard, "update", update);
    }, broadcastDelayMs);
  };

  const requireTrainer = (url: URL) => {
    const key = url.searchParams.get("key") ?? "";
    if (!sameSecret(key, store.trainerKey)) {
      throw new HttpError(403, "This page needs the trainer's key: open the dashboard URL that npm run room printed.");
    }
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = requestUrl(request.url);
    const method = request.method ?? "GET";
    const route = url.pathname;

    const staticFile = staticFiles[route];
    if (staticFile) {
      allow(method, ["GET", "HEAD"]);
      return reply(response, 200, staticFile.type, staticFile.body);
    }
    if (route === "/favicon.ico") {
      // Browsers ask for it unprompted; there is none, and a 404 would be noise in the console.
      response.writeHead(204, securityHeaders).end();
      return;
    }
    if (route === "/") {
      // The page holds no data (its live feed needs the trainer's key), so a reload without the
      // key in the address works; the page takes the key out of the address bar.
      allow(method, ["GET", "HEAD"]);
      return reply(response, 200, "text/html; charset=utf-8", dashboardHtml);
    }
    if (route === "/events") {
      allow(method, ["GET"]);
      requireTrainer(url);
      if (dashboards.size >= maxDashboards)
        throw new HttpError(503, `At most ${maxDashboards} dashboards can be open at once: close one and reload.`);
      response.writeHead(200, {
        ...securityHeaders,
        "Content-Type": "text/event-stream; charset=utf-8",
        Connection: "keep-alive",
      });
      response.write("retry: 2000\n\n");
      send(response, "snapshot", snapshot());
      dashboards.add(response);
      const heartbeat = setInterval(() => response.write(": still here\n\n"), 15_000);
      request.on("close", () => {
        clearInterval(heartbeat);
        dashboards.delete(response);
      });
      return;
    }
    if (route === "/room.json" || route === "/room.csv") {
      allow(method, ["GET", "HEAD"]);
      requireTrainer(url);
      const date = now().toISOString().slice(0, 10);
      const csv = route === "/room.csv";
      const body = csv ? roomCsv(store.list(), lessons) : roomJson(store.list(), lessons, now());
      response.setHeader("Content-Disposition", `attachment; filename="room-${date}.${csv ? "csv" : "json"}"`);
      return reply(response, 200, csv ? "text/csv; charset=utf-8" : "application/json; charset=utf-8", body);
    }
    const join = /^\/join\/([^/]+)$/.exec(route);
    if (join) {
      const code = safeDecode(join[1]!);
      if (method === "GET" || method === "HEAD") {
        // Someone opened the join link in a browser: say what it is for.
        const known = sameSecret(code, store.joinCode);
        const text = known
          ? `This is the room's join link. In the workbook, run:\n\n  npm start -- --room ${joinUrl ?? "<this URL>"} --name "Your Name"\n`
          : "This join link is not this room's. Ask the trainer for the link npm run room printed.\n";
        return reply(response, known ? 200 : 403, "text/plain; charset=utf-8", text);
      }
      allow(method, ["POST"]);
      if (!sameSecret(code, store.joinCode))
        throw new HttpError(403, "Wrong join code: ask the trainer for the join link that npm run room printed.");
      const { name } = parse(joinRequestSchema, await readJson(request, maxBodyBytes));
      let joined: { id: string; secret: string; name: string };
      try {
        joined = store.join(name);
      } catch (error) {
        if (error instanceof RoomFullError)
          throw new HttpError(503, `${error.message} Ask the trainer to start a second room.`);
        if (error instanceof NameTakenError) throw new HttpError(409, error.message);
        throw error;
      }
      markChanged(joined.id);
      return replyJson(response, 201, joined);
    }
    const learnerRoute = /^\/learners\/([A-Za-z0-9_-]{1,64})\/(status|name)$/.exec(route);
    if (learnerRoute) {
      const [, id, what] = learnerRoute as unknown as [string, string, "status" | "name"];
      allow(method, what === "status" ? ["POST"] : ["PUT"]);
      const secret = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1] ?? "";
      if (!store.has(id))
        throw new HttpError(
          404,
          "This room does not know you (it may have been restarted without its file): join again.",
        );
      const learner = store.authenticate(id, secret);
      if (!learner) throw new HttpError(403, "Wrong secret for this learner: a learner can only update their own row.");
      const body = await readJson(request, maxBodyBytes);
      if (what === "name") {
        try {
          store.rename(learner, parse(renameRequestSchema, body).name);
        } catch (error) {
          if (error instanceof NameTakenError) throw new HttpError(409, error.message);
          throw error;
        }
      } else {
        const status = parse(statusSchema, body);
        if (!knownLessons.has(status.lesson))
          throw new HttpError(
            400,
            `Unknown lesson "${status.lesson}": this room has ${lessons.map((l) => l.id).join(", ")}.`,
          );
        store.record(learner, status);
      }
      markChanged(id);
      response.writeHead(204, securityHeaders).end();
      return;
    }
    throw new HttpError(404, `Nothing at ${route}.`);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof HttpError ? error.message : "The room failed to handle this request.";
      if (response.headersSent) {
        response.destroy();
        return;
      }
      // A body that is too big is not read to its end: close the connection instead.
      if (status === 413) response.setHeader("Connection", "close");
      replyJson(response, status, { error: message });
    });
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;

  return {
    server,
    close: async () => {
      if (broadcastTimer) clearTimeout(broadcastTimer);
      for (const dashboard of dashboards) dashboard.end();
      dashboards.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await store.close();
      await closed;
    },
  };
}

/** The request's address; one that cannot be read (`GET http://[::1 HTTP/1.1`) is the client's mistake. */
function requestUrl(raw: string | undefined): URL {
  try {
    return new URL(raw ?? "/", "http://room.invalid");
  } catch {
    throw new HttpError(400, "The request's address cannot be read.");
  }
}

/** A malformed %-escape is simply a wrong code, not a server error. */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return "";
  }
}

function allow(method: string, methods: string[]): void {
  if (!methods.includes(method)) throw new HttpError(405, `Use ${methods.join(" or ")} here.`);
}

function parse<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body);
  if (!result.success) throw new HttpError(400, `Invalid request: ${describeIssue(result.error)}.`);
  return result.data;
}

function reply(response: ServerResponse, status: number, type: string, body: string | Buffer): void {
  response.writeHead(status, { ...securityHeaders, "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
  response.end(body);
}

function replyJson(response: ServerResponse, status: number, body: unknown): void {
  reply(response, status, "application/json; charset=utf-8", JSON.stringify(body));
}

/** Reads a JSON body of at most `limit` bytes; a bigger one is refused before it is all read. */
function readJson(request: IncomingMessage, limit: number): Promise<unknown> {
  const type = request.headers["content-type"] ?? "";
  // JSON only: a page elsewhere cannot post JSON here without the browser asking first.
  if (!/^application\/json\b/i.test(type))
    return Promise.reject(new HttpError(415, "Send the body as application/json."));
  const tooBig = new HttpError(413, `The body is over ${limit} bytes.`);
  if (Number(request.headers["content-length"] ?? 0) > limit) return Promise.reject(tooBig);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.off("data", onData);
        request.pause();
        reject(tooBig);
        return;
      }
      chunks.push(chunk);
    };
    request.on("data", onData);
    request.on("error", reject);
    request.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        reject(new HttpError(400, "The body is not valid JSON."));
      }
    });
  });
}
