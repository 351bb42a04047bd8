import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { Env } from "../cli/env.ts";
import { workbookDir } from "../workbook/workbook-dir.ts";
import { writeAtomically } from "../workbook/write-atomically.ts";
import { UserError } from "../cli/user-error.ts";
import type { RoomMembership } from "./client.ts";
import { cleanName, joinResponseSchema, maxNameLength, showsSomething } from "./protocol.ts";

// Which room a learner reports to, and under what name: from --room/--name, else WORKBOOK_ROOM/
// WORKBOOK_NAME, else what .workbook/room.json remembers from the last join, so that a learner
// joins once and every later command keeps reporting. A new name renames the learner's row.

export const roomFile = `${workbookDir}/room.json`;
const joinTimeoutMs = 3000;

const membershipSchema = z.object({
  version: z.literal(1),
  joinUrl: z.string(),
  id: z.string().min(1),
  secret: z.string().min(1),
  name: z.string().min(1),
  joinedAt: z.string(),
});

export interface RoomSettingsInput {
  root: string;
  /** --room: a join link, or "off" to leave the room. */
  room?: string;
  /** --name */
  name?: string;
  env?: Env;
  fetch?: typeof fetch;
  now?: () => Date;
  /** One line for the learner: joined, renamed, left. */
  say?: (line: string) => void;
  /** One line when the room could not be reached or refused: the learner carries on without it. */
  warn?: (line: string) => void;
}

/** What .workbook/room.json remembers, if it holds a valid membership. */
export function readMembership(root: string, warn: (line: string) => void = () => {}): RoomMembership | undefined {
  const file = path.join(root, roomFile);
  if (!existsSync(file)) return undefined;
  try {
    const { joinUrl, id, secret, name } = membershipSchema.parse(JSON.parse(readFileSync(file, "utf8")));
    return { joinUrl, id, secret, name };
  } catch {
    renameSync(file, `${file}.corrupt`);
    warn(`${roomFile} was unreadable (kept as ${roomFile}.corrupt): join the room again with --room and --name.`);
    return undefined;
  }
}

/** Forgets the room, if .workbook/room.json still holds this membership (another command may have joined anew). */
export function forgetMembership(root: string, membership: RoomMembership): void {
  if (readMembership(root)?.id === membership.id) rmSync(path.join(root, roomFile), { force: true });
}

export function saveMembership(root: string, membership: RoomMembership, now = new Date()): void {
  writeAtomically(
    path.join(root, roomFile),
    `${JSON.stringify({ version: 1, ...membership, joinedAt: now.toISOString() }, null, 2)}\n`,
  );
}

const joinPath = /^\/join\/[A-Za-z0-9_-]{8,}$/;

/** A join link as the room printed it; anything else is a clear error naming what was expected. */
export function parseJoinUrl(raw: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw.trim());
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || !joinPath.test(url.pathname)) {
    throw new UserError(
      `--room needs the join link the trainer's room printed, like http://192.168.1.20:4321/join/AbC123xyz; ` +
        `got "${raw}". Copy it from the trainer's screen and run the command again.`,
    );
  }
  return `${url.origin}${url.pathname}`;
}

function checkName(raw: string): string {
  const name = cleanName(raw);
  if (!showsSomething(name))
    throw new UserError(
      '--name needs a name people can see, with at least one letter, digit or symbol, like --name "Ana".',
    );
  if (name.length > maxNameLength)
    throw new UserError(
      `--name takes at most ${maxNameLength} characters; "${name.slice(0, 20)}…" has ${name.length}. ` +
        "Use a shorter name.",
    );
  return name;
}

export async function resolveRoomSettings(input: RoomSettingsInput): Promise<RoomMembership | undefined> {
  const { root, room, name, env = process.env, say = () => {}, warn = () => {} } = input;
  const roomArg = (room ?? env.WORKBOOK_ROOM)?.trim() || undefined;
  const nameArg = (name ?? env.WORKBOOK_NAME)?.trim() || undefined;
  const saved = readMembership(root, warn);

  if (roomArg === "off") {
    rmSync(path.join(root, roomFile), { force: true });
    if (saved) say(`Left the room at ${new URL(saved.joinUrl).host}: nothing is sent to it any more.`);
    return undefined;
  }
  const wantedName = nameArg === undefined ? undefined : checkName(nameArg);
  const joinUrl = roomArg === undefined ? saved?.joinUrl : parseJoinUrl(roomArg);
  if (!joinUrl) return undefined;

  const talk = roomTalk(input);
  if (saved && saved.joinUrl === joinUrl) {
    if (wantedName === undefined || wantedName === saved.name) return saved;
    const renamed = await rename(saved, wantedName, talk);
    // The room forgot this learner (restarted without its file): join afresh below.
    if (renamed !== "forgotten") return renamed;
  }
  const joinName = wantedName ?? saved?.name;
  if (!joinName)
    throw new UserError('To join the room, give your name too: npm start -- --room <join link> --name "Your Name"');
  return join(joinUrl, joinName, talk);
}

interface RoomTalk {
  input: RoomSettingsInput;
  /** The room's answer, or undefined (and a warning) when it did not answer. */
  request(url: string, method: string, body: unknown, secret?: string): Promise<Response | undefined>;
  /** Why the room said no, in its own words. */
  refusal(response: Response): Promise<string>;
}

function roomTalk(input: RoomSettingsInput): RoomTalk {
  const { fetch: fetchImpl = globalThis.fetch, warn = () => {} } = input;
  return {
    input,
    async request(url, method, body, secret) {
      try {
        return await fetchImpl(url, {
          method,
          headers: { "Content-Type": "application/json", ...(secret && { Authorization: `Bearer ${secret}` }) },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(joinTimeoutMs),
        });
      } catch (error) {
        const reason =
          (error as Error).name === "TimeoutError"
            ? `no answer within ${joinTimeoutMs / 1000} s`
            : "it could not be reached";
        warn(
          `The room at ${new URL(url).host} did not answer (${reason}), so this run does not report to it. ` +
            "Check that you are on the trainer's network; the next command tries again.",
        );
        return undefined;
      }
    },
    async refusal(response) {
      const body = (await response.json().catch(() => ({}))) as { error?: unknown };
      return typeof body.error === "string" ? body.error : `it answered ${response.status}`;
    },
  };
}

async function rename(
  saved: RoomMembership,
  wantedName: string,
  { input, request, refusal }: RoomTalk,
): Promise<RoomMembership | undefined | "forgotten"> {
  const { root, now = () => new Date(), say = () => {}, warn = () => {} } = input;
  const url = `${new URL(saved.joinUrl).origin}/learners/${encodeURIComponent(saved.id)}/name`;
  const response = await request(url, "PUT", { name: wantedName }, saved.secret);
  if (!response) return saved;
  if (response.ok) {
    await response.body?.cancel();
    const renamed = { ...saved, name: wantedName };
    saveMembership(root, renamed, now());
    say(`Renamed in the room: ${saved.name} is now ${wantedName}.`);
    return renamed;
  }
  if (response.status === 404) {
    await response.body?.cancel();
    return "forgotten";
  }
  if (response.status === 410) {
    forgetMembership(root, saved);
    warn(await refusal(response));
    return undefined;
  }
  warn(`The room did not take the new name: ${await refusal(response)}`);
  return saved;
}

async function join(joinUrl: string, name: string, { input, request, refusal }: RoomTalk) {
  const { root, now = () => new Date(), say = () => {}, warn = () => {} } = input;
  const response = await request(joinUrl, "POST", { name });
  if (!response) return undefined;
  if (response.status !== 201) {
    warn(`The room refused to let you join: ${await refusal(response)} This run carries on without it.`);
    return undefined;
  }
  const parsed = joinResponseSchema.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) {
    warn(
      `The address ${new URL(joinUrl).host} did not answer like a workbook room, so this run does not report to it. ` +
        "Check the join link with the trainer.",
    );
    return undefined;
  }
  const membership: RoomMembership = { joinUrl, ...parsed.data };
  saveMembership(root, membership, now());
  say(
    `Joined the room at ${new URL(joinUrl).host} as ${membership.name}. ` +
      "Every check now reports your progress there (never your code).",
  );
  return membership;
}
