import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseJoinUrl, readMembership, resolveRoomSettings, roomFile } from "./settings.ts";
import { type TestRoom, startTestRoom } from "../../trainer/room/test-room.ts";

let room: TestRoom | undefined;
let root: string;
afterEach(async () => {
  await room?.remove();
  room = undefined;
  rmSync(root, { recursive: true, force: true });
});

function workbook(): string {
  root = mkdtempSync(path.join(tmpdir(), "workbook-settings-"));
  return root;
}

function resolve(options: Partial<Parameters<typeof resolveRoomSettings>[0]> = {}) {
  const said: string[] = [];
  const warned: string[] = [];
  const result = resolveRoomSettings({
    root,
    env: {},
    say: (line) => said.push(line),
    warn: (line) => warned.push(line),
    ...options,
  });
  return { result, said, warned };
}

describe("resolveRoomSettings", () => {
  it("joins with --room and --name, and remembers it for later commands", async () => {
    workbook();
    room = await startTestRoom();
    const first = resolve({ room: room.joinUrl, name: "Ana" });
    const membership = await first.result;
    expect(membership).toEqual({
      joinUrl: room.joinUrl,
      id: expect.any(String),
      secret: expect.any(String),
      name: "Ana",
    });
    expect(first.said).toEqual([
      expect.stringMatching(/^Joined the room at 127\.0\.0\.1:\d+ as Ana\. .*never your code/),
    ]);
    expect(room.store.get(membership!.id)?.name).toBe("Ana");
    expect(readMembership(root)).toEqual(membership);
    // No atomic-write leftovers beside it.
    expect(readdirSync(path.join(root, ".workbook"))).toEqual(["room.json"]);
    // A later command, with no flags, reports to the same row without joining again.
    expect(await resolve().result).toEqual(membership);
    expect(room.store.size).toBe(1);
  });

  it("reads WORKBOOK_ROOM and WORKBOOK_NAME when no flags are given", async () => {
    workbook();
    room = await startTestRoom();
    const membership = await resolve({ env: { WORKBOOK_ROOM: room.joinUrl, WORKBOOK_NAME: "Ben" } }).result;
    expect(membership?.name).toBe("Ben");
  });

  it("renames the learner's row when the name changes", async () => {
    workbook();
    room = await startTestRoom();
    const joined = await resolve({ room: room.joinUrl, name: "Ana" }).result;
    const renamed = resolve({ name: "Ana Lima" });
    expect(await renamed.result).toEqual({ ...joined, name: "Ana Lima" });
    expect(renamed.said).toEqual(["Renamed in the room: Ana is now Ana Lima."]);
    expect(room.store.get(joined!.id)?.name).toBe("Ana Lima");
    expect(readMembership(root)?.name).toBe("Ana Lima");
    expect(room.store.size).toBe(1);
  });

  it("joins afresh when the room has forgotten the learner", async () => {
    workbook();
    room = await startTestRoom();
    await resolve({ room: room.joinUrl, name: "Ana" }).result;
    await room.remove();
    room = await startTestRoom();
    const stale = readMembership(root)!;
    writeFileSync(
      path.join(root, roomFile),
      JSON.stringify({ version: 1, ...stale, joinUrl: room.joinUrl, joinedAt: "2026-11-30T10:00:00Z" }),
    );
    const again = await resolve({ name: "Ana L." }).result;
    expect(again?.id).not.toBe(stale.id);
    expect(room.store.get(again!.id)?.name).toBe("Ana L.");
  });

  it("forgets the room when the trainer removed the learner, and says so, instead of renaming", async () => {
    workbook();
    room = await startTestRoom();
    const joined = await resolve({ room: room.joinUrl, name: "Ana" }).result;
    room.store.remove(joined!.id);
    const { result, warned } = resolve({ name: "Ana Lima" });
    expect(await result).toBeUndefined();
    expect(warned).toEqual([
      'The trainer removed you from this room. To join again: npm start -- --room <join link> --name "Your Name"',
    ]);
    expect(existsSync(path.join(root, roomFile))).toBe(false);
  });

  it("moves to another room when given another join link", async () => {
    workbook();
    room = await startTestRoom();
    const first = await resolve({ room: room.joinUrl, name: "Ana" }).result;
    const other = await startTestRoom();
    try {
      const moved = await resolve({ room: other.joinUrl }).result;
      expect(moved).toMatchObject({ joinUrl: other.joinUrl, name: "Ana" });
      expect(moved?.id).not.toBe(first?.id);
    } finally {
      await other.remove();
    }
  });

  it("leaves the room with --room off", async () => {
    workbook();
    room = await startTestRoom();
    await resolve({ room: room.joinUrl, name: "Ana" }).result;
    const left = resolve({ room: "off" });
    expect(await left.result).toBeUndefined();
    expect(left.said).toEqual([expect.stringMatching(/^Left the room at 127\.0\.0\.1:\d+/)]);
    expect(existsSync(path.join(root, roomFile))).toBe(false);
  });

  it("does nothing without a room", async () => {
    workbook();
    expect(await resolve({ name: "Ana" }).result).toBeUndefined();
    expect(existsSync(path.join(root, ".workbook"))).toBe(false);
  });

  it.each([
    [
      "a join link without a name",
      { room: "http://127.0.0.1:4321/join/abcdefgh" },
      /To join the room, give your name too/,
    ],
    [
      "a link that is not a join link",
      { room: "http://127.0.0.1:4321/", name: "Ana" },
      /--room needs the join link .* got "http:\/\/127\.0\.0\.1:4321\/"/,
    ],
    ["a link that is not a URL", { room: "room please", name: "Ana" }, /--room needs the join link/],
    ["a file URL", { room: "file:///join/abcdefgh", name: "Ana" }, /--room needs the join link/],
    [
      "an empty name",
      { room: "http://127.0.0.1:4321/join/abcdefgh", name: " \t" },
      /To join the room, give your name too/,
    ],
    [
      "a name of control characters",
      { room: "http://127.0.0.1:4321/join/abcdefgh", name: "\u0007\u001b" },
      /--name needs a name/,
    ],
    [
      "a name that shows as blank",
      { room: "http://127.0.0.1:4321/join/abcdefgh", name: "\u3164\u2800" },
      /--name needs a name people can see, with at least one letter, digit or symbol, like --name "Ana"/,
    ],
    [
      "a name over 60 characters",
      { room: "http://127.0.0.1:4321/join/abcdefgh", name: "x".repeat(61) },
      /at most 60 characters/,
    ],
  ])("refuses %s with a clear error", async (_, options, message) => {
    workbook();
    await expect(resolve(options).result).rejects.toThrow(message);
  });

  it.each([
    [
      "a wrong join code",
      "wrong",
      /The room refused to let you join: Wrong join code: ask the trainer.*carries on without it/,
    ],
    ["a full room", "full", /The room refused to let you join: The room is full \(1 learners\)/],
    ["a room that is down", "down", /did not answer \(it could not be reached\).*the next command tries again/],
  ])("warns and carries on without the room for %s", async (_, kind, message) => {
    workbook();
    room = await startTestRoom({ store: { maxLearners: 1 } });
    if (kind === "full") await room.join("Someone");
    if (kind === "down") await room.stop();
    const joinUrl = kind === "wrong" ? `${room.origin}/join/not-the-code` : room.joinUrl;
    const { result, warned } = resolve({ room: joinUrl, name: "Ana" });
    expect(await result).toBeUndefined();
    expect(warned).toEqual([expect.stringMatching(message)]);
    expect(existsSync(path.join(root, roomFile))).toBe(false);
  });

  it("keeps a corrupt room.json aside and asks to join again", async () => {
    workbook();
    mkdirSync(path.join(root, ".workbook"));
    writeFileSync(path.join(root, roomFile), "{");
    const { result, warned } = resolve();
    expect(await result).toBeUndefined();
    expect(warned).toEqual([
      ".workbook/room.json was unreadable (kept as .workbook/room.json.corrupt): join the room again with --room and --name.",
    ]);
    expect(readFileSync(path.join(root, `${roomFile}.corrupt`), "utf8")).toBe("{");
  });
});

describe("parseJoinUrl", () => {
  it("keeps the origin and path of a join link, dropping a query or fragment", () => {
    expect(parseJoinUrl(" http://192.168.1.20:4321/join/AbC123_-xyz?x=1#y ")).toBe(
      "http://192.168.1.20:4321/join/AbC123_-xyz",
    );
  });
});
