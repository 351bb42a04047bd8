import { readFileSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { NoteBoard, maxNotes } from "./room-notes.ts";
import type { Changes } from "./room-view.ts";
import { type TestRoom, openFeed, startTestRoom } from "./test-room.ts";

// The trainer's notes, through the room's HTTP interface as the dashboard and the learners'
// workbooks use it: who may send them, who may read and dismiss them, and what a restart keeps.

let room: TestRoom;
afterEach(async () => room?.remove());

type Joined = { id: string; secret: string };

/** A note as the dashboard sends it: the key in its cookie or address, JSON, from its own page. */
function sendNote(body: unknown, headers: Record<string, string> = {}, key = room.store.trainerKey) {
  return fetch(`${room.origin}/notes?key=${key}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** The notes a learner's workbook reads, with `secret` (theirs, unless a test says otherwise). */
async function notesOf(learner: Joined, secret = learner.secret) {
  const response = await fetch(`${room.origin}/learners/${learner.id}/notes`, {
    headers: { Authorization: `Bearer ${secret}` },
  });
  return { status: response.status, body: (await response.json()) as { notes?: { text: string }[]; error?: string } };
}

const texts = async (learner: Joined) => (await notesOf(learner)).body.notes?.map((note) => note.text);

function dismiss(learner: Joined, noteId: string, secret = learner.secret) {
  return fetch(`${room.origin}/learners/${learner.id}/notes/${noteId}/dismiss`, {
    method: "POST",
    headers: { Authorization: `Bearer ${secret}` },
  });
}

async function sent(body: unknown): Promise<{ id: string }> {
  const response = await sendNote(body);
  expect(response.status).toBe(201);
  return ((await response.json()) as { note: { id: string } }).note;
}

describe("a note to one learner", () => {
  it("reaches that learner alone, stays until they dismiss it, and the dashboard sees both", async () => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    const ben = await room.join("Ben");
    const feed = await openFeed(room);
    await feed.next("snapshot");
    const response = await sendNote({ to: ana.id, text: "Look at line 12 of limiter.ts" });
    expect(response.status).toBe(201);
    const { note } = (await response.json()) as { note: { id: string } };
    expect(note).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]+$/),
      to: ana.id,
      text: "Look at line 12 of limiter.ts",
      sentAt: expect.any(String),
      recipients: 1,
      dismissed: 0,
    });
    // The changes that carry the note: one sent for the joins may come first on a busy machine.
    const sent = (data: Changes) => data.notes?.some((shown) => shown.id === note.id) ?? false;
    expect((await feed.next("changes", sent)).notes).toEqual([note]);
    expect(await notesOf(ana)).toEqual({
      status: 200,
      body: {
        notes: [{ id: note.id, text: "Look at line 12 of limiter.ts", sentAt: expect.any(String), toRoom: false }],
      },
    });
    expect(await texts(ben)).toEqual([]);
    // Read again and again (watch mode asks again after every answer), it stays until dismissed.
    expect(await texts(ana)).toEqual(["Look at line 12 of limiter.ts"]);
    expect((await dismiss(ana, note.id)).status).toBe(204);
    expect(await texts(ana)).toEqual([]);
    const dismissed = (data: Changes) => data.notes?.some((shown) => shown.dismissed === 1) ?? false;
    expect((await feed.next("changes", dismissed)).notes).toEqual([{ ...note, dismissed: 1 }]);
    feed.close();
  });

  it("keeps a note to one line of text: control and direction characters go, spaces fold", async () => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    await sent({ to: ana.id, text: "  Break\u202e at\n\n12:30\u0007 \u001b[2J " });
    expect(await texts(ana)).toEqual(["Break at 12:30 [2J"]);
  });
});

describe("a note to the room", () => {
  it("reaches every learner in the room when it was sent, each dismissing their own copy", async () => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    const ben = await room.join("Ben");
    const note = await sent({ text: "Break until 11:00" });
    const late = await room.join("Cy");
    expect([await texts(ana), await texts(ben), await texts(late)]).toEqual([
      ["Break until 11:00"],
      ["Break until 11:00"],
      [],
    ]);
    expect((await notesOf(ana)).body.notes).toEqual([expect.objectContaining({ toRoom: true })]);
    expect((await dismiss(ana, note.id)).status).toBe(204);
    expect([await texts(ana), await texts(ben)]).toEqual([[], ["Break until 11:00"]]);
    expect(room.store.noteViews().notes).toEqual([expect.objectContaining({ to: null, recipients: 2, dismissed: 1 })]);
  });

  it("is kept, with who dismissed it, across a restart", async () => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    const ben = await room.join("Ben");
    const note = await sent({ text: "Break until 11:00" });
    await sent({ to: ben.id, text: "Ben, see me" });
    await dismiss(ana, note.id);
    await room.stop();
    room = await startTestRoom({ dir: room.dir });
    expect([await texts(ana), await texts(ben)]).toEqual([[], ["Break until 11:00", "Ben, see me"]]);
  });
});

describe("who may send, read and dismiss notes", () => {
  it.each([
    ["without the key", { text: "hi" }, {}, "none", 403, /needs the trainer's key/],
    ["with a wrong key", { text: "hi" }, {}, "wrong", 403, /needs the trainer's key/],
    ["with a learner's secret instead of the key", { text: "hi" }, {}, "learner", 403, /needs the trainer's key/],
    ["from another site's page", { text: "hi" }, { Origin: "http://evil.example" }, "key", 403, /own dashboard/],
    [
      "sent as a form, not JSON",
      "text=hi",
      { "Content-Type": "application/x-www-form-urlencoded" },
      "key",
      415,
      /as application\/json/,
    ],
    ["that is not JSON", "{ text: hi", {}, "key", 400, /not valid JSON/],
    ["with no text", {}, {}, "key", 400, /"text"/],
    ["with empty text", { text: "" }, {}, "key", 400, /"text" a note needs some text/],
    ["of invisible characters only", { text: " \u200b\u202e\n " }, {}, "key", 400, /"text" a note needs some text/],
    ["of 281 characters", { text: "x".repeat(281) }, {}, "key", 400, /"text" a note is at most 280 characters/],
    ["to something that is not a learner's id", { to: "../x", text: "hi" }, {}, "key", 400, /"to" must be/],
    ["to a learner not in the room", { to: "nobody", text: "hi" }, {}, "key", 404, /No learner with that id/],
  ])("refuses a note %s", async (_, body, headers, key, status, message) => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    const keys: Record<string, string> = { none: "", wrong: room.store.joinCode, learner: ana.secret, key: "" };
    const answer =
      key === "key"
        ? await sendNote(body, headers)
        : await fetch(`${room.origin}/notes${keys[key] ? `?key=${keys[key]}` : ""}`, {
            method: "POST",
            headers: {
              "Content-Type": "application/json",
              ...(key === "learner" && { Authorization: `Bearer ${ana.secret}` }),
            },
            body: JSON.stringify(body),
          });
    expect(answer.status).toBe(status);
    expect(((await answer.json()) as { error: string }).error).toMatch(message);
    expect(room.store.noteViews().notes).toEqual([]);
  });

  it("takes 280 characters, however they were typed", async () => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    await sent({ to: ana.id, text: ` ${"x".repeat(280)}\n` });
    expect((await texts(ana))?.[0]).toHaveLength(280);
  });

  it.each([
    ["another learner's secret", "other", 403, /only update their own row/],
    ["no secret", "none", 403, /only update their own row/],
  ])("lets no one read a learner's notes with %s", async (_, who, status, message) => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    const ben = await room.join("Ben");
    await sent({ to: ana.id, text: "for Ana only" });
    const answer = await notesOf(ana, who === "other" ? ben.secret : "");
    expect(answer.status).toBe(status);
    expect(answer.body.error).toMatch(message);
    expect(answer.body.notes).toBeUndefined();
  });

  it.each([
    ["with another learner's secret", "other secret", 403],
    ["as another learner, with their own secret", "other learner", 404],
    ["that does not exist", "no note", 404],
  ])("lets no one dismiss a learner's note %s", async (_, how, status) => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    const ben = await room.join("Ben");
    const note = await sent({ to: ana.id, text: "for Ana only" });
    const answer =
      how === "other secret"
        ? await dismiss(ana, note.id, ben.secret)
        : how === "other learner"
          ? await dismiss(ben, note.id)
          : await dismiss(ana, "no-such-note");
    expect(answer.status).toBe(status);
    expect(await texts(ana)).toEqual(["for Ana only"]);
  });

  it("tells a learner the trainer removed that they are out, and forgets the notes to them", async () => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    await sent({ to: ana.id, text: "for Ana only" });
    room.store.remove(ana.id);
    expect((await notesOf(ana)).status).toBe(410);
    expect(room.store.noteViews().notes).toEqual([]);
  });

  it("drops only a note its file cannot read, saying so, and keeps the others and the room", async () => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    await sent({ to: ana.id, text: "first" });
    await sent({ to: ana.id, text: "second" });
    await room.stop();
    const saved = JSON.parse(readFileSync(room.file, "utf8"));
    saved.notes[0].recipients = "many";
    writeFileSync(room.file, JSON.stringify(saved));
    const warnings: string[] = [];
    room = await startTestRoom({ dir: room.dir, store: { warn: (line) => warnings.push(line) } });
    expect(await texts(ana)).toEqual(["second"]);
    expect(warnings).toEqual(["1 note to learners could not be read and were dropped."]);
  });
});

describe("NoteBoard", () => {
  const ana = { id: "ana", joinedAt: "2026-11-30T09:00:00.000Z" };
  const note = (i: number, to: string | null = "ana") => ({
    id: `n${i}`,
    to,
    text: `note ${i}`,
    sentAt: "2026-11-30T10:00:00.000Z",
    recipients: 1,
  });

  it(`keeps the latest ${maxNotes} notes`, () => {
    const board = new NoteBoard();
    for (let i = 0; i < maxNotes + 2; i++) board.add(note(i));
    expect(board.views()).toHaveLength(maxNotes);
    expect(board.pendingFor(ana)[0]?.text).toBe("note 2");
    expect(board.dismiss(ana, "n0")).toBe(false);
  });

  it("forgets a learner who left: the notes to them and their dismissals", () => {
    const board = new NoteBoard();
    board.add(note(1));
    board.add(note(2, null));
    board.dismiss(ana, "n2");
    const version = board.version;
    board.forget("ana");
    expect(board.views()).toEqual([expect.objectContaining({ id: "n2", dismissed: 0 })]);
    expect(board.version).toBeGreaterThan(version);
  });

  it("counts a second dismissal of the same note once", () => {
    const board = new NoteBoard();
    board.add(note(1, null));
    expect([board.dismiss(ana, "n1"), board.dismiss(ana, "n1")]).toEqual([true, true]);
    expect(board.views()[0]?.dismissed).toBe(1);
  });
});
