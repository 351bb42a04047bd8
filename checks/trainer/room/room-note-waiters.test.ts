import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { LearnerNote } from "../../learner/room/protocol.ts";
import { NoteWaiters, notesKey } from "./room-note-waiters.ts";

// The room's held questions for notes: answered once the notes differ from what the learner has,
// or when the wait is over, and forgotten when the learner's request goes away.

afterEach(() => vi.useRealTimers());

const note = (id: string): LearnerNote => ({ id, text: id, sentAt: "2026-11-30T10:00:00.000Z", toRoom: false });
const response = () => new EventEmitter() as unknown as ServerResponse;

describe("NoteWaiters", () => {
  it("answers a learner whose notes changed, and only them", () => {
    const waiters = new NoteWaiters();
    let anas: LearnerNote[] = [];
    const answered: string[] = [];
    waiters.hold(
      response(),
      () => anas,
      "",
      20_000,
      () => answered.push("ana"),
    );
    waiters.hold(
      response(),
      () => [],
      "",
      20_000,
      () => answered.push("ben"),
    );
    waiters.changed();
    expect(answered).toEqual([]);
    anas = [note("n1")];
    waiters.changed();
    waiters.changed();
    expect([answered, waiters.size]).toEqual([["ana"], 1]);
  });

  it("answers with the notes as they are once the wait is over", () => {
    vi.useFakeTimers();
    const waiters = new NoteWaiters();
    const heard: LearnerNote[][] = [];
    waiters.hold(
      response(),
      () => [note("n1")],
      notesKey([note("n1")]),
      20_000,
      (notes) => heard.push(notes),
    );
    vi.advanceTimersByTime(19_999);
    expect(heard).toEqual([]);
    vi.advanceTimersByTime(1);
    expect([heard, waiters.size]).toEqual([[[note("n1")]], 0]);
  });

  it("forgets a question whose connection closed, and never answers it", () => {
    vi.useFakeTimers();
    const waiters = new NoteWaiters();
    const gone = response();
    const answer = vi.fn();
    waiters.hold(gone, () => [note("n1")], "", 20_000, answer);
    gone.emit("close");
    waiters.changed();
    vi.advanceTimersByTime(20_000);
    expect([answer.mock.calls.length, waiters.size]).toEqual([0, 0]);
  });
});
