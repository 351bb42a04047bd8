import { joinRequestSchema, type LearnerNote, renameRequestSchema, statusSchema } from "../../learner/room/protocol.ts";
import type { DashboardFeed } from "./room-feed.ts";
import { HttpError, parse, readJson, reply, replyEmpty, replyJson, safeDecode } from "./room-http.ts";
import type { LessonSummary } from "./room-lessons.ts";
import { maxWaitSeconds, NoteWaiters, notesKey } from "./room-note-waiters.ts";
import type { RateLimit } from "./room-rate-limit.ts";
import type { RequestContext, Route } from "./room-routes.ts";
import {
  JoiningClosedError,
  type Learner,
  NameTakenError,
  RoomFullError,
  type RoomStore,
  sameSecret,
} from "./room-store.ts";

// What a learner's workbook asks of the room: to join with the join code (a few times a minute
// per address at most), then to post statuses, rename, read the trainer's notes and dismiss them,
// each for the learner's own row only, with the secret the join gave them.

interface LearnerRoutesOptions {
  store: RoomStore;
  lessons: LessonSummary[];
  joinUrl?: string;
  feed: DashboardFeed;
  joins: RateLimit;
  maxBodyBytes: number;
  /** Told once in a while that the room turned a learner away for being full. */
  onFull: () => void;
}

export function learnerRoutes(options: LearnerRoutesOptions): Route[] {
  const { store, feed, maxBodyBytes } = options;
  const knownLessons = new Set(options.lessons.map((lesson) => lesson.id));
  const lessonList = options.lessons.map((lesson) => lesson.id).join(", ");

  const join = async ({ request, response, params, address }: RequestContext) => {
    if (!sameSecret(safeDecode(params[0]!), store.joinCode))
      throw new HttpError(403, "Wrong join code: ask the trainer for the join link that npm run room printed.");
    const waitMs = options.joins.take(address);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      throw new HttpError(429, `Too many joins from your address: try again in ${seconds} s.`, {
        "Retry-After": String(seconds),
      });
    }
    const { name } = parse(joinRequestSchema, await readJson(request, maxBodyBytes));
    const joined = refusedAsHttp(() => store.join(name), options.onFull);
    feed.learnerChanged(joined.id);
    replyJson(response, 201, joined);
  };

  const explainJoin = (context: RequestContext) => explainJoinLink(store, context, options.joinUrl);
  const learner = (context: RequestContext) => authenticated(store, context, options.joinUrl);

  const status = async (context: RequestContext) => {
    const who = learner(context);
    const payload = parse(statusSchema, await readJson(context.request, maxBodyBytes));
    if (!knownLessons.has(payload.lesson))
      throw new HttpError(400, `Unknown lesson "${payload.lesson}": this room has ${lessonList}.`);
    store.record(who, payload);
    feed.learnerChanged(who.id);
    replyEmpty(context.response);
  };

  const rename = async (context: RequestContext) => {
    const who = learner(context);
    const { name } = parse(renameRequestSchema, await readJson(context.request, maxBodyBytes));
    refusedAsHttp(() => store.rename(who, name), options.onFull);
    feed.learnerChanged(who.id);
    replyEmpty(context.response);
  };

  return [
    { path: /^\/join\/([^/]+)$/, methods: { GET: explainJoin, HEAD: explainJoin, POST: join } },
    { path: /^\/learners\/([A-Za-z0-9_-]{1,64})\/status$/, methods: { POST: status } },
    { path: /^\/learners\/([A-Za-z0-9_-]{1,64})\/name$/, methods: { PUT: rename } },
    ...noteRoutes(store, feed, learner),
  ];
}

/** A learner reads the trainer's notes to them, and dismisses each once read. */
function noteRoutes(store: RoomStore, feed: DashboardFeed, learner: (context: RequestContext) => Learner): Route[] {
  const waiters = new NoteWaiters();
  store.onNotesChanged(() => waiters.changed());
  // An answer from memory, no write, nothing for the dashboards; held while nothing is new.
  const notes = (context: RequestContext) => {
    const who = learner(context);
    const { waitMs, known } = noteQuery(context.url);
    const answer = (pending: LearnerNote[]) => replyJson(context.response, 200, { notes: pending });
    const pending = store.notesFor(who);
    if (waitMs === 0 || notesKey(pending) !== known) return answer(pending);
    waiters.hold(context.response, () => store.notesFor(who), known, waitMs, answer);
  };
  const dismiss = (context: RequestContext) => {
    if (!store.dismissNote(learner(context), context.params[1]!)) throw new HttpError(404, "No such note for you.");
    feed.roomChanged();
    replyEmpty(context.response);
  };
  return [
    { path: /^\/learners\/([A-Za-z0-9_-]{1,64})\/notes$/, methods: { GET: notes } },
    { path: /^\/learners\/([A-Za-z0-9_-]{1,64})\/notes\/([A-Za-z0-9_-]{1,64})\/dismiss$/, methods: { POST: dismiss } },
  ];
}

/** `?wait=25&known=id1,id2`: how long the learner will wait for news, and the notes they have. */
function noteQuery(url: URL): { waitMs: number; known: string } {
  const wait = url.searchParams.get("wait") ?? "0";
  if (!/^\d{1,2}$/.test(wait) || Number(wait) > maxWaitSeconds)
    throw new HttpError(400, `"wait" is whole seconds from 0 to ${maxWaitSeconds}.`);
  const known = url.searchParams.get("known") ?? "";
  if (!/^[A-Za-z0-9_,-]{0,3300}$/.test(known)) throw new HttpError(400, '"known" is note ids separated by commas.');
  return { waitMs: Number(wait) * 1000, known };
}

/** Someone opened the join link in a browser: say what it is for. */
function explainJoinLink(store: RoomStore, { response, params }: RequestContext, joinUrl: string | undefined): void {
  const known = sameSecret(safeDecode(params[0]!), store.joinCode);
  const text = known
    ? "This is the room's join link. In the workbook, run:\n\n" +
      `  npm start -- --room ${joinUrl ?? "<this URL>"} --name "Your Name"\n`
    : "This join link is not this room's. Ask the trainer for the link npm run room printed.\n";
  reply(response, known ? 200 : 403, "text/plain; charset=utf-8", text);
}

/** The learner whose row this path names, if the request holds their secret. */
function authenticated(store: RoomStore, { request, params }: RequestContext, joinUrl: string | undefined): Learner {
  const id = params[0]!;
  if (store.wasRemoved(id))
    throw new HttpError(
      410,
      "The trainer removed you from this room. " +
        `To join again: npm start -- --room ${joinUrl ?? "<join link>"} --name "Your Name"`,
    );
  if (!store.has(id))
    throw new HttpError(404, "This room does not know you (it may have been restarted without its file): join again.");
  const secret = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1] ?? "";
  const found = store.authenticate(id, secret);
  if (!found) throw new HttpError(403, "Wrong secret for this learner: a learner can only update their own row.");
  return found;
}

/** The room's refusals, as the learner's workbook hears them. */
function refusedAsHttp<T>(action: () => T, onFull: () => void): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof NameTakenError) throw new HttpError(409, error.message);
    if (error instanceof JoiningClosedError) throw new HttpError(403, error.message);
    if (error instanceof RoomFullError) {
      onFull();
      throw new HttpError(
        503,
        `${error.message} Ask the trainer to remove learners who have left (from the dashboard), ` +
          "or to restart the room with a higher --max-learners.",
      );
    }
    throw error;
  }
}
