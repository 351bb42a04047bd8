import { describe, expect, it } from "vitest";
import type { LessonStatusEvent } from "../../learner/room/status.ts";
import { RoomStore } from "./room-store.ts";
import { type StuckSignal, stuckSignals } from "./room-signals.ts";
import { statusFor } from "./test-room.ts";

// When a learner counts as stuck: statuses arrive at given minutes of the room's clock, and the
// signals are read at a later minute. The learner's own clock runs an hour ahead of the room's,
// as a laptop set to another time zone by hand would, to show that only the room's clock counts.

const start = Date.parse("2026-11-30T10:00:00.000Z");
const minute = (m: number) => new Date(start + m * 60_000);
const learnerClock = (m: number) => new Date(start + 60 * 60_000 + m * 60_000).toISOString();
const hintsInLesson = 3;

/** A status the learner sends at minute `at` (the room's clock), the lesson's file saved at minute `saved`. */
interface Step {
  at: number;
  saved?: number | null;
  status?: Partial<LessonStatusEvent>;
}

function signalsAfter(steps: Step[], readAt: number): readonly StuckSignal[] {
  let now = minute(0);
  const store = new RoomStore({ now: () => now });
  const { id, secret } = store.join("Ana");
  const ana = store.authenticate(id, secret)!;
  for (const { at, saved = at, status } of steps) {
    now = minute(at);
    const savedAt = saved === null ? null : learnerClock(saved);
    store.record(ana, { ...statusFor({ at: learnerClock(at), savedAt, ...status }), lesson: "lesson-1" });
  }
  return stuckSignals(ana.lessons["lesson-1"]!, hintsInLesson, minute(readAt).getTime());
}

const checks = (minutes: number[], status?: Partial<LessonStatusEvent>): Step[] =>
  minutes.map((at) => ({ at, ...(status && { status }) }));
const failing = (test: string, mistake?: string): Partial<LessonStatusEvent> => ({
  failingTest: test,
  diagnosis: mistake ? { mistake, title: mistake } : null,
});

describe("stuck signals", () => {
  it.each<[string, Step[], number, StuckSignal["kind"][]]>([
    ["nothing on a lesson just started", checks([0]), 1, []],
    ["the same first failure for 10 minutes", checks([0, 5]), 10, ["same-failure"]],
    ["not yet after 9 minutes of the same failure", checks([0, 5, 9]), 9.9, []],
    ["the same first failure over 8 checks, however quick", checks([0, 1, 2, 3, 4, 5, 6, 7]), 7, ["same-failure"]],
    ["not yet after 7 checks", checks([0, 1, 2, 3, 4, 5, 6]), 6, []],
    [
      "no same failure once the first failure moved on: the clock and the count start again",
      [...checks([0, 1, 2, 3, 4, 5, 6, 7]), { at: 8, status: failing("a › next test") }],
      17,
      [],
    ],
    [
      "the same failure while the learner tries one wrong fix after another on the same test",
      [
        { at: 0, status: failing("a › one", "off-by-one") },
        { at: 5, status: failing("a › one", "wrong-sign") },
      ],
      10,
      ["same-failure"],
    ],
    [
      "a diagnosis standing in for the failure when no test is named",
      [
        { at: 0, status: failing("", "off-by-one") },
        { at: 6, status: { failingTest: null, diagnosis: { mistake: "off-by-one", title: "t" } } },
      ],
      10,
      ["same-failure"],
    ],
    [
      "hints, which are not checks, counting no check towards 8",
      [...checks([0, 1, 2, 3, 4, 5, 6]), { at: 7, status: { event: "hint", hintsUsed: 1 } }],
      7,
      [],
    ],
    ["no save for 10 minutes while failing", [{ at: 9, saved: 0 }], 10, ["no-save"]],
    ["not yet 9 minutes after a save", [{ at: 9, saved: 1 }], 10, []],
    ["no save signal from a workbook that sends no save time", [{ at: 0, saved: null }], 30, ["same-failure"]],
    ["every hint taken", [{ at: 0, status: { event: "hint", hintsUsed: 3 } }], 1, ["all-hints"]],
    ["all three at once", [{ at: 0, status: { hintsUsed: 3 } }], 10, ["same-failure", "no-save", "all-hints"]],
    [
      "nothing once the lesson passes, however long it took",
      [
        { at: 0, status: { hintsUsed: 3 } },
        { at: 30, saved: 0, status: { status: "passed", failingTest: null } },
      ],
      60,
      [],
    ],
    [
      "nothing once the stub is reset (no failure yet), but no save still counts",
      [...checks([0, 12]), { at: 12, saved: 0, status: { event: "reset", failingTest: null } }],
      13,
      ["no-save"],
    ],
  ])("%s", (_, steps, readAt, kinds) => {
    expect(signalsAfter(steps, readAt).map((signal) => signal.kind)).toEqual(kinds);
  });

  it("says since when, by the room's clock, and over how many checks", () => {
    const steps: Step[] = [
      ...[0, 2, 4].map((at) => ({ at, saved: -3 })),
      { at: 5, saved: -3, status: { event: "hint", hintsUsed: 3 } },
    ];
    expect(signalsAfter(steps, 12)).toEqual([
      { kind: "same-failure", since: "2026-11-30T10:00:00.000Z", checks: 3 },
      { kind: "no-save", since: "2026-11-30T09:57:00.000Z" },
      { kind: "all-hints", hints: 3 },
    ]);
  });

  it("gives no all-hints signal for a lesson without hints", () => {
    const store = new RoomStore({ now: () => minute(0) });
    const { id, secret } = store.join("Ana");
    const ana = store.authenticate(id, secret)!;
    store.record(ana, statusFor({ hintsUsed: 0 }));
    expect(stuckSignals(ana.lessons["lesson-1"]!, 0, minute(1).getTime())).toEqual([]);
  });
});
