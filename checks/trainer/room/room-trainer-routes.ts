import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { noteTextSchema } from "../../learner/room/protocol.ts";
import { roomCsv, roomJson } from "./room-export.ts";
import type { DashboardFeed } from "./room-feed.ts";
import { HttpError, cookie, parse, readJson, reply, replyEmpty, replyJson } from "./room-http.ts";
import type { LessonSummary } from "./room-lessons.ts";
import type { RequestContext, Route } from "./room-routes.ts";
import { type RoomStore, sameSecret } from "./room-store.ts";

// What only the trainer may do: the dashboard's live feed, the downloads, removing a learner,
// closing or opening the room to new learners, and sending a note to a learner or to the room. The
// key comes once in the dashboard's address (?key=…, which npm run room prints); the room answers
// with an HttpOnly, SameSite=Strict cookie and sends the browser to the bare address, so the key
// leaves the address bar, the page's links and the browser's history at once, and no script on the
// page can read it. ?key= keeps working for scripts: curl '<address>/room.json?key=…'.

interface TrainerRoutesOptions {
  store: RoomStore;
  lessons: LessonSummary[];
  feed: DashboardFeed;
  now: () => Date;
  maxBodyBytes: number;
}

const publicDir = new URL("./public/", import.meta.url);
const publicFile = (name: string) => readFileSync(fileURLToPath(new URL(name, publicDir)));
const dashboardHtml = publicFile("dashboard.html");
const staticFiles: [RegExp, string, Buffer][] = [
  [/^\/dashboard\.js$/, "text/javascript; charset=utf-8", publicFile("dashboard.js")],
  [/^\/dashboard\.css$/, "text/css; charset=utf-8", publicFile("dashboard.css")],
];

const joiningSchema = z.object({ open: z.boolean() });

/** A note to one learner (their id) or, with no one named, to the whole room. */
const noteRequestSchema = z.object({
  to: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a learner's id")
    .nullable()
    .default(null),
  text: noteTextSchema,
});

/** Who may act as the trainer: the key in the address (?key=…) or in the room's cookie. */
function trainerAccess(store: RoomStore) {
  // Named after the room: two rooms on one machine (one host, two ports) share the browser's cookies.
  const cookieName = `room-key-${createHash("sha256").update(store.joinCode).digest("hex").slice(0, 12)}`;
  const isTrainer = ({ request, url }: RequestContext) =>
    sameSecret(url.searchParams.get("key") ?? cookie(request, cookieName) ?? "", store.trainerKey);
  return {
    cookieName,
    require(context: RequestContext) {
      if (!isTrainer(context))
        throw new HttpError(
          403,
          "This page needs the trainer's key: open the dashboard link that npm run room printed.",
        );
    },
    /** A change made from the dashboard: the trainer's, from this page (SameSite=Strict does most of it). */
    requireHere(context: RequestContext) {
      this.require(context);
      const origin = context.request.headers.origin;
      if (origin !== undefined && origin !== `http://${context.request.headers.host}`)
        throw new HttpError(403, "Change the room from its own dashboard.");
    },
  };
}

/** The dashboard's page, script and style, and no icon. */
function pageRoutes(store: RoomStore, cookieName: string): Route[] {
  // The page holds no data (its feed needs the key), so it is served to anyone; with the right key
  // in its address, the key becomes a cookie and the browser goes on to the bare address.
  const page = ({ response, url }: RequestContext) => {
    const key = url.searchParams.get("key");
    if (key === null || !sameSecret(key, store.trainerKey)) {
      reply(response, 200, "text/html; charset=utf-8", dashboardHtml);
      return;
    }
    replyEmpty(response, 303, {
      Location: "/",
      "Set-Cookie": `${cookieName}=${encodeURIComponent(key)}; Path=/; HttpOnly; SameSite=Strict`,
    });
  };
  const files: Route[] = staticFiles.map(([path, type, body]) => {
    const serve = ({ response }: RequestContext) => reply(response, 200, type, body);
    return { path, methods: { GET: serve, HEAD: serve } };
  });
  // Browsers ask for it unprompted; there is none, and a 404 would be noise in the console.
  const noIcon = ({ response }: RequestContext) => replyEmpty(response);
  return [
    ...files,
    { path: /^\/favicon\.ico$/, methods: { GET: noIcon, HEAD: noIcon } },
    { path: /^\/$/, methods: { GET: page, HEAD: page } },
  ];
}

export function trainerRoutes(options: TrainerRoutesOptions): Route[] {
  const { store, lessons, feed, now } = options;
  const trainer = trainerAccess(store);

  const events = (context: RequestContext) => {
    trainer.require(context);
    feed.open(context.request, context.response);
  };
  // Whether this browser holds the key: the page asks before it opens the feed, cheaply.
  const session = (context: RequestContext) => {
    trainer.require(context);
    replyEmpty(context.response);
  };
  const download = (type: "csv" | "json") => (context: RequestContext) => {
    trainer.require(context);
    const body = type === "csv" ? roomCsv(store.list(), lessons) : roomJson(store.list(), lessons, now());
    reply(context.response, 200, type === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8", body, {
      "Content-Disposition": `attachment; filename="room-${now().toISOString().slice(0, 10)}.${type}"`,
    });
  };
  const remove = (context: RequestContext) => {
    trainer.requireHere(context);
    const id = context.params[0]!;
    if (!store.remove(id)) throw new HttpError(404, "No learner with that id is in the room.");
    feed.learnerChanged(id);
    replyEmpty(context.response);
  };
  // The dashboard's own requests only: the key (its cookie is SameSite=Strict), from this page
  // (Origin), and as JSON, which a page elsewhere cannot send without the browser asking first.
  const note = async (context: RequestContext) => {
    trainer.requireHere(context);
    const { to, text } = parse(noteRequestSchema, await readJson(context.request, options.maxBodyBytes));
    const sent = store.sendNote(to, text);
    if (!sent) throw new HttpError(404, "No learner with that id is in the room.");
    feed.roomChanged();
    const { dismissed, ...view } = sent;
    replyJson(context.response, 201, { note: { ...view, dismissed: dismissed.length } });
  };
  const joining = async (context: RequestContext) => {
    trainer.requireHere(context);
    const { open } = parse(joiningSchema, await readJson(context.request, options.maxBodyBytes));
    store.setJoining(open);
    feed.roomChanged();
    replyEmpty(context.response);
  };

  return [
    ...pageRoutes(store, trainer.cookieName),
    { path: /^\/events$/, methods: { GET: events } },
    { path: /^\/session$/, methods: { GET: session, HEAD: session } },
    { path: /^\/room\.json$/, methods: { GET: download("json"), HEAD: download("json") } },
    { path: /^\/room\.csv$/, methods: { GET: download("csv"), HEAD: download("csv") } },
    { path: /^\/learners\/([A-Za-z0-9_-]{1,64})$/, methods: { DELETE: remove } },
    { path: /^\/joining$/, methods: { PUT: joining } },
    { path: /^\/notes$/, methods: { POST: note } },
  ];
}
