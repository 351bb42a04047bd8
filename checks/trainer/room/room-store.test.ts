import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RoomInUseError, RoomStore, type RoomStoreOptions } from "./room-store.ts";
import { statusFor } from "./test-room.ts";

// The room's memory and its file: what a restart keeps, what it sets aside, and that one file
// serves one room at a time.

let dir = "";
const stores: RoomStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = "";
});

function open(options: Omit<RoomStoreOptions, "file"> = {}): RoomStore {
  dir ||= mkdtempSync(path.join(tmpdir(), "workbook-room-store-"));
  const store = new RoomStore({ file: path.join(dir, "room-state.json"), saveDelayMs: 5, ...options });
  stores.push(store);
  return store;
}

async function closeAll(): Promise<void> {
  for (const store of stores.splice(0)) await store.close();
}

/** Changes the saved file as a hand, a bug or a bad disk might. */
function editSaved(change: (room: { learners: Record<string, unknown>[] }) => void): void {
  const file = path.join(dir, "room-state.json");
  const room = JSON.parse(readFileSync(file, "utf8"));
  change(room);
  writeFileSync(file, JSON.stringify(room));
}

describe("a room's file, read again on restart", () => {
  it.each([
    [
      "a count saved as text",
      (learner: Record<string, unknown>) => {
        (learner.lessons as Record<string, Record<string, unknown>>)["lesson-1"]!.passing = "5";
      },
      '"Ben" ("lessons.lesson-1.passing"',
    ],
    ["no name", (learner: Record<string, unknown>) => delete learner.name, 'a learner with no name ("name"'],
    [
      "a count of checks on one failure saved as text",
      (learner: Record<string, unknown>) => {
        (learner.lessons as Record<string, Record<string, unknown>>)["lesson-1"]!.checksOnFailure = "8";
      },
      '"Ben" ("lessons.lesson-1.checksOnFailure"',
    ],
  ])("sets aside only the learner with %s, and keeps the room", async (_, damage, named) => {
    const first = open();
    const ana = first.join("Ana");
    const ben = first.join("Ben");
    first.record(first.authenticate(ben.id, ben.secret)!, statusFor({ passing: 3 }));
    const { joinCode, trainerKey } = first;
    await closeAll();
    editSaved((room) => damage(room.learners.find((learner) => learner.id === ben.id)!));

    const warnings: string[] = [];
    const restarted = open({ warn: (line) => warnings.push(line) });
    expect([restarted.joinCode, restarted.trainerKey]).toEqual([joinCode, trainerKey]);
    expect(restarted.list().map((learner) => learner.name)).toEqual(["Ana"]);
    expect(restarted.authenticate(ana.id, ana.secret)).toBeDefined();
    const aside = readdirSync(dir).find((file) => file.startsWith("room-state.json.set-aside-"))!;
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`Set aside 1 learner whose saved row could not be read: ${named}`);
    expect(warnings[0]).toContain(`Kept in ${aside}; their next check joins them again.`);
    const kept = JSON.parse(readFileSync(path.join(dir, aside), "utf8"));
    expect(kept.learners).toEqual([expect.objectContaining({ id: ben.id })]);
  });

  it("starts empty with a new join code when the room's own fields cannot be read, keeping the file aside", () => {
    dir = mkdtempSync(path.join(tmpdir(), "workbook-room-store-"));
    writeFileSync(path.join(dir, "room-state.json"), JSON.stringify({ version: 2, joinCode: 5, learners: [] }));
    const warnings: string[] = [];
    const store = open({ warn: (line) => warnings.push(line) });
    expect(store.size).toBe(0);
    expect(warnings).toEqual([expect.stringMatching(/room-state\.json was unreadable, so the room starts empty/)]);
  });
});

describe("what tells that a learner is stuck, and their number, across a restart", () => {
  it("keeps since when each failure began, the checks on it, the last save, and numbers", async () => {
    const first = open({ now: () => new Date("2026-11-30T10:05:00.000Z") });
    first.join("Ana");
    const ben = first.join("Ben");
    const status = statusFor({ at: "2026-11-30T10:05:00.000Z", savedAt: "2026-11-30T10:01:00.000Z" });
    first.record(first.authenticate(ben.id, ben.secret)!, status);
    first.record(first.authenticate(ben.id, ben.secret)!, status);
    await closeAll();
    const restarted = open();
    expect(restarted.get(ben.id)).toMatchObject({
      number: 2,
      lessons: {
        "lesson-1": {
          failingSince: "2026-11-30T10:05:00.000Z",
          checksOnFailure: 2,
          savedAt: "2026-11-30T10:01:00.000Z",
        },
      },
    });
    // Numbers are never given twice, not even the number of a learner who left.
    restarted.remove(ben.id);
    expect(restarted.get(restarted.join("Cy").id)?.number).toBe(3);
  });

  const v2Entry = { ...statusFor({ failingTest: "a › b" }), receivedAt: "2026-11-30T10:00:01.000Z" };
  const v1Entry = {
    event: "check",
    passed: false,
    solved: false,
    passing: 2,
    total: 5,
    hintsUsed: 1,
    failingTest: "a › b",
    minutesOnLesson: 7,
    at: "2026-11-30T10:00:00.000Z",
    receivedAt: "2026-11-30T10:00:01.000Z",
  };
  it.each([
    [1, v1Entry],
    [2, v2Entry],
  ])(
    "reads a room saved by version %i: a failure counts from when it was last heard, no save known",
    (version, entry) => {
      dir = mkdtempSync(path.join(tmpdir(), "workbook-room-store-"));
      const row = (id: string, name: string) => ({
        id,
        secretHash: "0".repeat(64),
        name,
        joinedAt: "2026-11-30T09:00:00.000Z",
        lastSeen: "2026-11-30T10:00:01.000Z",
        current: "lesson-1",
        lessons: { "lesson-1": entry },
      });
      const saved = {
        version,
        joinCode: "j".repeat(12),
        trainerKey: "k".repeat(24),
        learners: [row("b", "Ben"), row("a", "Ana")],
      };
      writeFileSync(path.join(dir, "room-state.json"), JSON.stringify(saved));
      const store = open();
      expect(store.list().map((learner) => [learner.name, learner.number])).toEqual([
        ["Ben", 1],
        ["Ana", 2],
      ]);
      expect(store.get("a")?.lessons["lesson-1"]).toMatchObject({
        status: "started",
        failingTest: "a › b",
        failingSince: "2026-11-30T10:00:01.000Z",
        checksOnFailure: 1,
        savedAt: null,
      });
    },
  );
});

describe("one room per file", () => {
  it("refuses a second room on a file that an open room uses, and leaves the first one's file alone", async () => {
    const first = open();
    first.join("Ana");
    await first.flush();
    const before = readFileSync(path.join(dir, "room-state.json"), "utf8");
    expect(() => open()).toThrow(RoomInUseError);
    expect(() => open()).toThrow(
      new RegExp(`^Another room \\(process ${process.pid}\\) is open on .*room-state\\.json`),
    );
    expect(readFileSync(path.join(dir, "room-state.json"), "utf8")).toBe(before);
  });

  it("lets the next room open once the first is closed", async () => {
    open().join("Ana");
    await closeAll();
    expect(
      open()
        .list()
        .map((learner) => learner.name),
    ).toEqual(["Ana"]);
  });

  it.each([
    ["whose process has ended", () => ({ pid: endedPid(), age: 0 })],
    [
      "left from before the machine restarted (a live process has its number now)",
      () => ({ pid: process.ppid, age: 3600 }),
    ],
  ])("takes over the lock of a room %s", (_, lock) => {
    dir = mkdtempSync(path.join(tmpdir(), "workbook-room-store-"));
    const { pid, age } = lock();
    const lockFile = path.join(dir, "room-state.json.lock");
    writeFileSync(lockFile, JSON.stringify({ pid, startedAt: "2026-11-30T09:00:00.000Z" }));
    const then = new Date(Date.now() - age * 1000);
    utimesSync(lockFile, then, then);
    expect(() => open()).not.toThrow();
    expect(JSON.parse(readFileSync(lockFile, "utf8")).pid).toBe(process.pid);
  });

  it("lets go of its lock when closed", async () => {
    open();
    expect(existsSync(path.join(dir, "room-state.json.lock"))).toBe(true);
    await closeAll();
    expect(readdirSync(dir)).toEqual(["room-state.json"]);
  });
});

/** The number of a process that has run and ended. */
function endedPid(): number {
  const result = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(result.stdout);
}
