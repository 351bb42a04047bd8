import { afterEach, describe, expect, it, vi } from "vitest";
import { type TestRoom, startSilentServer, startTestRoom } from "../../trainer/room/test-room.ts";
import type { RoomMembership } from "./client.ts";
import { type PendingOptions, type RoomNotes, roomNotes, watchNotes } from "./notes.ts";
import type { LearnerNote } from "./protocol.ts";

// The trainer's notes as the learner's workbook fetches and dismisses them: from a real room, and
// from rooms that are down, silent or not rooms at all, none of which may disturb the learner.

let room: TestRoom | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await room?.remove();
  room = undefined;
  for (const close of closers.splice(0)) await close();
});

async function member(name = "Ana"): Promise<RoomMembership> {
  room ??= await startTestRoom();
  return { joinUrl: room.joinUrl, ...(await room.join(name)) };
}

function sendNote(body: { to?: string; text: string }) {
  return fetch(`${room!.origin}/notes?key=${room!.store.trainerKey}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** A stand-in for a room's answers, as fetch gives them. */
const answering =
  (status: number, body: string): typeof fetch =>
  async () =>
    new Response(body, { status, headers: { "Content-Type": "application/json" } });

describe("roomNotes", () => {
  it("reads the learner's own notes from the room, and dismisses them for good", async () => {
    const ana = await member("Ana");
    const ben = await member("Ben");
    await sendNote({ to: ana.id, text: "Ana, look at line 12" });
    await sendNote({ text: "Break until 11:00" });
    const notes = roomNotes(() => ana);
    const pending = await notes.pending();
    expect(pending?.map(({ text, toRoom }) => ({ text, toRoom }))).toEqual([
      { text: "Ana, look at line 12", toRoom: false },
      { text: "Break until 11:00", toRoom: true },
    ]);
    expect(await notes.dismiss(pending![0]!.id)).toBe(true);
    expect((await notes.pending())?.map((note) => note.text)).toEqual(["Break until 11:00"]);
    expect((await roomNotes(() => ben).pending())?.map((note) => note.text)).toEqual(["Break until 11:00"]);
    // Another learner's note cannot be dismissed from here.
    expect(await roomNotes(() => ben).dismiss(pending![0]!.id)).toBe(false);
  });

  it("asks nothing once the learner is out of the room", async () => {
    let asked = 0;
    const notes = roomNotes(
      () => undefined,
      async () => {
        asked++;
        return new Response("{}");
      },
    );
    expect([await notes.pending(), await notes.dismiss("x"), asked]).toEqual([undefined, false, 0]);
  });

  it.each([
    ["refuses the learner", answering(403, '{"error":"Wrong secret"}')],
    ["answers what is not JSON", answering(200, "<html>a captive portal</html>")],
    ["answers JSON of another shape", answering(200, '{"notes":[{"id":"../x","text":1}]}')],
  ])("answers no notes, never throwing, from a room that %s", async (_, fetchImpl) => {
    const notes = roomNotes(
      () => ({ joinUrl: "http://127.0.0.1:1/join/abcdefgh", id: "x", secret: "y", name: "A" }),
      fetchImpl,
    );
    await expect(notes.pending()).resolves.toBeUndefined();
  });

  it.each([
    ["does not know the note", answering(404, '{"error":"No such note for you."}')],
    [
      "cannot be reached",
      async () => {
        throw new TypeError("fetch failed");
      },
    ],
  ])("answers no notes, and could not dismiss one, never throwing, when the room %s", async (_, fetchImpl) => {
    const notes = roomNotes(
      () => ({ joinUrl: "http://127.0.0.1:1/join/abcdefgh", id: "x", secret: "y", name: "A" }),
      fetchImpl,
    );
    await expect(notes.pending()).resolves.toBeUndefined();
    await expect(notes.dismiss("n1")).resolves.toBe(false);
  });

  it("gives up on a room that does not answer after its one short timeout", async () => {
    const silent = await startSilentServer();
    closers.push(silent.close);
    const notes = roomNotes(() => ({ joinUrl: `${silent.origin}/join/abcdefgh`, id: "x", secret: "y", name: "A" }));
    const started = performance.now();
    await expect(notes.pending({ timeoutMs: 300 })).resolves.toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("cleans a note's text again, whatever the room sends: one line, no escapes, 280 characters at most", async () => {
    const text = `\u001b[2Jwiped\u202e\n${"x".repeat(400)}`;
    const body = JSON.stringify({ notes: [{ id: "n1", text, sentAt: "2026-11-30T10:00:00.000Z", toRoom: false }] });
    const notes = roomNotes(
      () => ({ joinUrl: "http://room.invalid/join/x", id: "x", secret: "y", name: "A" }),
      answering(200, body),
    );
    const [note] = (await notes.pending()) ?? [];
    expect(note?.text).toHaveLength(280);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what must not come through.
    expect(note?.text).not.toMatch(/[\u001b\u202e\n]/);
  });
});

describe("watchNotes", () => {
  /** A room whose answers the test decides, recording when it was asked (the fake clock's ms) and how. */
  function fakeRoom(answers: (LearnerNote[] | undefined)[], holdMs = 0) {
    const askedAt: number[] = [];
    const asked: PendingOptions[] = [];
    const source: RoomNotes = {
      pending: async (options = {}) => {
        askedAt.push(Date.now());
        asked.push(options);
        const answer = answers.length > 1 ? answers.shift() : answers[0];
        if (options.waitSeconds && holdMs > 0) await new Promise((resolve) => setTimeout(resolve, holdMs));
        return answer;
      },
      dismiss: async () => true,
    };
    return { source, askedAt, asked };
  }
  const note = (id: string): LearnerNote => ({ id, text: id, sentAt: "2026-11-30T10:00:00.000Z", toRoom: true });

  it("asks at once, then waits on the room with the notes it has, never more than once an interval", async () => {
    vi.useFakeTimers({ now: 0 });
    const { source, askedAt, asked } = fakeRoom([[], [note("n1")], [note("n1")]]);
    const heard: LearnerNote[][] = [];
    const stop = watchNotes(source, (notes) => heard.push(notes), { intervalMs: 1000, waitSeconds: 20 });
    await vi.advanceTimersByTimeAsync(3000);
    stop();
    // A room that answers at once (an older room, which does not hold questions) is asked every interval.
    expect(askedAt).toEqual([0, 1000, 2000, 3000]);
    const waits = asked.slice(0, 3).map(({ waitSeconds, known }) => ({ waitSeconds, known }));
    expect(waits).toEqual([{}, { waitSeconds: 20, known: [] }, { waitSeconds: 20, known: [note("n1")] }]);
    expect(heard).toHaveLength(4);
  });

  it("asks again as soon as a room that held the question answers", async () => {
    vi.useFakeTimers({ now: 0 });
    const { source, askedAt } = fakeRoom([[]], 5000);
    const stop = watchNotes(source, () => {}, { intervalMs: 1000 });
    await vi.advanceTimersByTimeAsync(12_000);
    stop();
    // Asked again at once: within the millisecond a timer of 0 ms takes.
    expect(askedAt.map((at) => Math.round(at / 100) * 100)).toEqual([0, 1000, 6000, 11_000]);
  });

  it("asks less and less often while the room is silent, then every interval once it answers", async () => {
    vi.useFakeTimers({ now: 0 });
    const { source, askedAt } = fakeRoom([undefined, undefined, undefined, undefined, undefined, []]);
    const stop = watchNotes(source, () => {}, { intervalMs: 1000, maxDelayMs: 8000 });
    await vi.advanceTimersByTimeAsync(40_000);
    stop();
    // Waits of 2, 4, 8, 8 and 8 s after failures, then 1 s once the room answers.
    expect(askedAt.slice(0, 8)).toEqual([0, 2000, 6000, 14_000, 22_000, 30_000, 31_000, 32_000]);
  });

  it("ends the question it is waiting on when stopped", async () => {
    const { source, asked } = fakeRoom([[]], 60_000);
    const stop = watchNotes(source, () => {}, { intervalMs: 10 });
    await vi.waitFor(() => expect(asked).toHaveLength(2));
    stop();
    expect(asked[1]?.signal?.aborted).toBe(true);
  });

  it("asks nothing more once stopped", async () => {
    vi.useFakeTimers({ now: 0 });
    const { source, askedAt } = fakeRoom([[]]);
    const stop = watchNotes(source, () => {}, { intervalMs: 1000 });
    await vi.advanceTimersByTimeAsync(1500);
    stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(askedAt).toEqual([0, 1000]);
  });
});

describe("a question that waits (the room's long poll)", () => {
  const since = (started: number) => performance.now() - started;

  it("is answered as soon as the trainer sends a note", async () => {
    const ana = await member();
    const notes = roomNotes(() => ana);
    const started = performance.now();
    const waiting = notes.pending({ waitSeconds: 10, known: [] });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await sendNote({ to: ana.id, text: "Look at line 12" })).status).toBe(201);
    expect((await waiting)?.map((note) => note.text)).toEqual(["Look at line 12"]);
    expect(since(started)).toBeGreaterThanOrEqual(300);
    expect(since(started)).toBeLessThan(3000);
  });

  it("is answered at once when the learner's notes are not those it knows", async () => {
    const ana = await member();
    await sendNote({ text: "Break until 11:00" });
    const started = performance.now();
    const pending = await roomNotes(() => ana).pending({ waitSeconds: 10, known: [] });
    expect(pending?.map((note) => note.text)).toEqual(["Break until 11:00"]);
    expect(since(started)).toBeLessThan(3000);
  });

  it("is answered with the same notes when the wait is over and nothing changed, or another learner's did", async () => {
    const ana = await member();
    const ben = await member("Ben");
    const notes = roomNotes(() => ana);
    const known = (await notes.pending()) ?? [];
    const started = performance.now();
    const waiting = notes.pending({ waitSeconds: 1, known });
    await sendNote({ to: ben.id, text: "Only for Ben" });
    expect(await waiting).toEqual(known);
    expect(since(started)).toBeGreaterThanOrEqual(900);
  });

  it("is answered when the learner dismisses a note from another terminal", async () => {
    const ana = await member();
    await sendNote({ to: ana.id, text: "Look at line 12" });
    const notes = roomNotes(() => ana);
    const known = (await notes.pending()) ?? [];
    const waiting = notes.pending({ waitSeconds: 10, known });
    await notes.dismiss(known[0]!.id);
    expect(await waiting).toEqual([]);
  });

  it.each([
    ["wait=26", '"wait" is whole seconds from 0 to 25.'],
    ["wait=-1", '"wait" is whole seconds from 0 to 25.'],
    ["wait=1.5", '"wait" is whole seconds from 0 to 25.'],
    ["wait=5&known=a%20b", '"known" is note ids separated by commas.'],
  ])("refuses ?%s with a 400 that says why", async (query, message) => {
    const ana = await member();
    const response = await fetch(`${room!.origin}/learners/${ana.id}/notes?${query}`, {
      headers: { Authorization: `Bearer ${ana.secret}` },
    });
    expect([response.status, await response.json()]).toEqual([400, { error: message }]);
  });
});
