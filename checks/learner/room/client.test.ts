import { afterEach, describe, expect, it } from "vitest";
import { type RoomMembership, createRoomReporter } from "./client.ts";
import { type TestRoom, startSilentServer, startTestRoom, statusFor } from "../../trainer/room/test-room.ts";

let room: TestRoom | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await room?.remove();
  room = undefined;
  for (const close of closers.splice(0)) await close();
});

async function member(name = "Ana"): Promise<RoomMembership> {
  room = await startTestRoom();
  return { joinUrl: room.joinUrl, ...(await room.join(name)) };
}

async function silentServer(): Promise<{ origin: string; requests: () => number }> {
  const server = await startSilentServer();
  closers.push(server.close);
  return server;
}

describe("createRoomReporter", () => {
  it("sends a status to the learner's own row", async () => {
    const membership = await member();
    const report = createRoomReporter(membership);
    report(statusFor({ lesson: "lesson-2", passing: 4, total: 6, failingTest: "validates email" }));
    await report.flush();
    expect(room!.store.get(membership.id)?.lessons["lesson-2"]).toMatchObject({
      passing: 4,
      total: 6,
      failingTest: "validates email",
    });
  });

  it("keeps one request in flight; newer statuses for a lesson replace older ones waiting", async () => {
    const membership = await member();
    const bodies: string[] = [];
    let inFlight = 0;
    let most = 0;
    const counting: typeof fetch = async (url, init) => {
      inFlight++;
      most = Math.max(most, inFlight);
      bodies.push(String(init?.body));
      try {
        return await fetch(url, init);
      } finally {
        inFlight--;
      }
    };
    const report = createRoomReporter(membership, { fetch: counting });
    for (let passing = 0; passing <= 5; passing++) report(statusFor({ lesson: "lesson-1", passing }));
    report(statusFor({ lesson: "lesson-2", passing: 1 }));
    await report.flush(5000);
    expect(most).toBe(1);
    // The first went at once; of the five that waited behind it, only the newest for lesson-1 was sent.
    expect(bodies.map((body) => [JSON.parse(body).lesson, JSON.parse(body).passing])).toEqual([
      ["lesson-1", 0],
      ["lesson-1", 5],
      ["lesson-2", 1],
    ]);
    expect(room!.store.get(membership.id)?.lessons["lesson-1"]?.passing).toBe(5);
  });

  it("returns at once and never throws when the room is down", async () => {
    const membership = await member();
    await room!.stop();
    const report = createRoomReporter(membership);
    const started = performance.now();
    expect(() => report(statusFor())).not.toThrow();
    expect(performance.now() - started).toBeLessThan(50);
    await expect(report.flush()).resolves.toBeUndefined();
  });

  it("gives up on a room that does not answer after one short timeout, with nothing piling up", async () => {
    const silent = await silentServer();
    const report = createRoomReporter(
      { joinUrl: `${silent.origin}/join/abcdefgh`, id: "x", secret: "y", name: "Ana" },
      { timeoutMs: 200 },
    );
    for (let i = 0; i < 20; i++) report(statusFor({ passing: i % 5 }));
    const started = performance.now();
    await report.flush(3000);
    // One timed-out request, then the one newest status that waited: two requests in all, not twenty.
    expect(silent.requests()).toBe(2);
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it("never throws on a malformed room address", async () => {
    const report = createRoomReporter({ joinUrl: "not a url", id: "x", secret: "y", name: "Ana" });
    expect(() => report(statusFor())).not.toThrow();
    await report.flush();
  });

  it("stops sending once the room refuses the learner's secret", async () => {
    const membership = await member();
    let calls = 0;
    const counting: typeof fetch = (url, init) => {
      calls++;
      return fetch(url, init);
    };
    const report = createRoomReporter({ ...membership, secret: "wrong" }, { fetch: counting });
    report(statusFor());
    await report.flush();
    report(statusFor({ lesson: "lesson-2" }));
    await report.flush();
    expect(calls).toBe(1);
    expect(room!.store.get(membership.id)?.lessons).toEqual({});
  });

  it("stops sending, and never joins again by itself, once the trainer removed the learner", async () => {
    const membership = await member();
    room!.store.remove(membership.id);
    const calls: string[] = [];
    const removed: RoomMembership[] = [];
    const report = createRoomReporter(membership, {
      fetch: (url, init) => {
        calls.push(String(url));
        return fetch(url, init);
      },
      onRemoved: (m) => removed.push(m),
    });
    report(statusFor());
    await report.flush();
    report(statusFor({ lesson: "lesson-2" }));
    await report.flush();
    expect(calls).toEqual([`${room!.origin}/learners/${membership.id}/status`]);
    expect(removed).toEqual([membership]);
    expect(room!.store.size).toBe(0);
  });

  it("joins again under the same name when the room has forgotten the learner, and says so", async () => {
    // A membership from before the room was restarted without its file: nobody in it has that id or name.
    room = await startTestRoom();
    const membership = { joinUrl: room.joinUrl, id: "forgotten-id", secret: "from-before", name: "Ana" };
    const forgotten = membership;
    const rejoined: RoomMembership[] = [];
    const report = createRoomReporter(forgotten, { onRejoin: (m) => rejoined.push(m) });
    report(statusFor({ passing: 4 }));
    await report.flush(5000);
    expect(rejoined).toEqual([
      {
        joinUrl: membership.joinUrl,
        id: expect.not.stringMatching(/^forgotten-id$/),
        secret: expect.any(String),
        name: "Ana",
      },
    ]);
    expect(room!.store.get(rejoined[0]!.id)?.lessons["lesson-1"]?.passing).toBe(4);
  });

  it("sends counters, a test name and a diagnosed mistake's title only, never code", async () => {
    const membership = await member();
    const bodies: unknown[] = [];
    const report = createRoomReporter(membership, {
      fetch: (url, init) => {
        bodies.push(JSON.parse(String(init?.body)));
        return fetch(url, init);
      },
    });
    report(statusFor());
    await report.flush();
    expect(Object.keys(bodies[0] as object).sort()).toEqual([
      "at",
      "diagnosis",
      "event",
      "failingTest",
      "hintsUsed",
      "lastChecked",
      "lesson",
      "minutes",
      "passedAt",
      "passing",
      "savedAt",
      "solvedByCopy",
      "startedAt",
      "status",
      "tests",
      "total",
    ]);
  });
});
