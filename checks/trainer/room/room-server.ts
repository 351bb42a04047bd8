import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import { addressGroup } from "./room-address.ts";
import {
  type ConnectionLimits,
  connectionsCheckingInterval,
  defaultConnectionLimits,
  guardConnections,
} from "./room-connections.ts";
import { createDashboardFeed } from "./room-feed.ts";
import { HttpError, replyJson, requestUrl } from "./room-http.ts";
import { learnerRoutes } from "./room-learner-routes.ts";
import type { LessonSummary } from "./room-lessons.ts";
import { createRateLimit } from "./room-rate-limit.ts";
import { type Route, findHandler } from "./room-routes.ts";
import type { RoomStore } from "./room-store.ts";
import { trainerRoutes } from "./room-trainer-routes.ts";

// The room's HTTP server (node:http, no framework). Learners join with the join code and then
// speak only for themselves, with the secret the join gave them (room-learner-routes.ts); the
// dashboard, its live feed, the downloads and the trainer's controls need the trainer's key
// (room-trainer-routes.ts). Connections are guarded for a hostile network (room-connections.ts).

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
  /** How often the dashboards' summary is read again for stuck signals that time alone raises (ms). */
  summaryRefreshMs?: number;
  connections?: Partial<ConnectionLimits>;
  /** Joins one address may make at once, and then per minute. */
  joinBurst?: number;
  joinsPerMinute?: number;
  /** Lines for the trainer's terminal (the room turned a learner away for being full). */
  warn?: (line: string) => void;
}

interface RoomServer {
  server: Server;
  /** Stops accepting, ends the live feeds and writes the room's file. */
  close(): Promise<void>;
}

const defaultMaxBodyBytes = 4 * 1024;

export function createRoomServer(options: RoomServerOptions): RoomServer {
  const { store, lessons, now = () => new Date(), maxBodyBytes = defaultMaxBodyBytes } = options;
  const feed = createDashboardFeed({
    store,
    lessons,
    joinUrl: options.joinUrl,
    now,
    delayMs: options.broadcastDelayMs ?? 100,
    maxDashboards: options.maxDashboards ?? 20,
    refreshMs: options.summaryRefreshMs,
  });
  const routes: Route[] = [
    ...trainerRoutes({ store, lessons, feed, now, maxBodyBytes }),
    ...learnerRoutes({
      store,
      lessons,
      joinUrl: options.joinUrl,
      feed,
      maxBodyBytes,
      joins: createRateLimit({ burst: options.joinBurst ?? 20, perMinute: options.joinsPerMinute ?? 20 }),
      onFull: fullWarning(store, options.warn),
    }),
  ];

  let closing = false;
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    if (closing) throw new HttpError(503, "The room is stopping: try again when it is back.", { Connection: "close" });
    const url = requestUrl(request.url);
    const [handler, params] = findHandler(routes, request.method ?? "GET", url.pathname);
    const address = addressGroup(request.socket.remoteAddress);
    await handler({ request, response, url, params, address });
  };

  const server = createServer({ connectionsCheckingInterval }, (request, response) => {
    handle(request, response).catch((error: unknown) => answerError(response, error));
  });
  guardConnections(server, { ...defaultConnectionLimits, ...options.connections });

  return {
    server,
    // In this order, so that once the port is free the file is whole on disk and the next room may
    // open it: no request changes the room after it is written, and the port is let go last.
    close: async () => {
      closing = true;
      feed.close();
      server.closeAllConnections();
      await store.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function answerError(response: ServerResponse, error: unknown): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  if (!(error instanceof HttpError)) {
    replyJson(response, 500, { error: "The room failed to handle this request." });
    return;
  }
  for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
  replyJson(response, error.status, { error: error.message });
}

/** One line on the trainer's terminal when the room turns learners away, at most once a minute. */
function fullWarning(store: RoomStore, warn: ((line: string) => void) | undefined): () => void {
  let last = Number.NEGATIVE_INFINITY;
  return () => {
    if (!warn || Date.now() - last < 60_000) return;
    last = Date.now();
    warn(
      `The room is full (${store.maxLearners} learners) and turned a learner away: ` +
        "remove learners who have left from the dashboard, " +
        `or restart with npm run room -- --max-learners ${store.maxLearners * 2}.`,
    );
  };
}
