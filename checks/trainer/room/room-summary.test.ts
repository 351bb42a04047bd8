import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LessonEntry, PublicLearner } from "./room-store.ts";
import { summarizeRoom } from "./room-summary.ts";

const entry = (overrides: Partial<LessonEntry> = {}): LessonEntry => ({
  event: "check",
  status: "started",
  solvedByCopy: false,
  passing: 1,
  total: 4,
  tests: "checked",
  hintsUsed: 0,
  minutes: 10,
  failingTest: null,
  diagnosis: null,
  startedAt: null,
  passedAt: null,
  lastChecked: "2026-11-30T10:00:00.000Z",
  at: "2026-11-30T10:00:00.000Z",
  receivedAt: "2026-11-30T10:00:00.000Z",
  failingSince: null,
  checksOnFailure: 0,
  savedAt: null,
  ...overrides,
});

const learner = (name: string, current: string | undefined, lessons: Record<string, LessonEntry>): PublicLearner => ({
  id: name.toLowerCase(),
  name,
  joinedAt: "2026-11-30T09:00:00.000Z",
  lastSeen: "2026-11-30T10:00:00.000Z",
  ...(current && { current }),
  lessons,
});

describe("summarizeRoom", () => {
  it("lists who has been stuck longest on their current lesson, and on which test", () => {
    const { stuck } = summarizeRoom([
      learner("Ana", "lesson-2", { "lesson-2": entry({ minutes: 5, failingTest: "validates email" }) }),
      learner("Ben", "lesson-1", { "lesson-1": entry({ minutes: 25, failingTest: "maps P2002" }) }),
      // Reported 20 minutes ago after 10 minutes on the lesson: 30 minutes by now, the longest.
      learner("Cy", "lesson-1", { "lesson-1": entry({ minutes: 10, receivedAt: "2026-11-30T09:40:00.000Z" }) }),
      learner("Dee", "lesson-1", { "lesson-1": entry({ status: "passed", minutes: 90 }) }),
      learner("Eve", "lesson-1", { "lesson-1": entry({ status: "solved", solvedByCopy: true, minutes: 90 }) }),
      // Only opened by watch mode, never worked on: not stuck, however long ago.
      learner("Gus", "lesson-1", { "lesson-1": entry({ status: "not-started", minutes: null }) }),
      learner("Flo", undefined, {}),
    ]);
    expect(stuck).toEqual([
      { id: "cy", name: "Cy", lesson: "lesson-1", since: "2026-11-30T09:30:00.000Z" },
      { id: "ben", name: "Ben", lesson: "lesson-1", failingTest: "maps P2002", since: "2026-11-30T09:35:00.000Z" },
      { id: "ana", name: "Ana", lesson: "lesson-2", failingTest: "validates email", since: "2026-11-30T09:55:00.000Z" },
    ]);
  });

  it("shows at most five stuck learners", () => {
    const learners = Array.from({ length: 8 }, (_, i) =>
      learner(`L${i}`, "lesson-1", { "lesson-1": entry({ minutes: i }) }),
    );
    expect(summarizeRoom(learners).stuck.map((s) => s.name)).toEqual(["L7", "L6", "L5", "L4", "L3"]);
  });

  it("names per lesson the test failing for the most learners right now, on their current lesson only", () => {
    const { mostFailed } = summarizeRoom([
      // Ana's lesson 1 is behind her: only her current lesson counts.
      learner("Ana", "lesson-2", {
        "lesson-1": entry({ failingTest: "b test" }),
        "lesson-2": entry({ failingTest: "z test" }),
      }),
      learner("Ben", "lesson-1", { "lesson-1": entry({ failingTest: "a test" }) }),
      learner("Cy", "lesson-1", { "lesson-1": entry({ failingTest: "b test" }) }),
      learner("Dee", "lesson-1", { "lesson-1": entry({ failingTest: "a test" }) }),
      // A passed lesson no longer counts, nor one only opened, whatever their failing test was.
      learner("Eve", "lesson-1", { "lesson-1": entry({ status: "passed", failingTest: "c test" }) }),
      learner("Gus", "lesson-1", { "lesson-1": entry({ status: "not-started", failingTest: "b test" }) }),
      learner("Flo", "lesson-1", { "lesson-1": entry({ failingTest: null }) }),
    ]);
    // A tie goes to the name first in alphabetical order, so the panel does not flicker.
    expect(mostFailed).toEqual({
      "lesson-1": { test: "a test", learners: 2, failing: 4 },
      "lesson-2": { test: "z test", learners: 1, failing: 1 },
    });
  });

  it("names the five stuck longest, longest first and equals by name, whatever the order of the room", () => {
    const room = fc.array(
      fc.record({ name: fc.constantFrom("Ana", "Ben", "Cy", "Dee", "Eve", "Flo", "Gus"), minutes: fc.nat(5) }),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(room, (people) => {
        const learners = people.map(({ name, minutes }, i) => ({
          ...learner(name, "lesson-1", { "lesson-1": entry({ minutes }) }),
          id: String(i),
        }));
        const expected = [...learners]
          .sort(
            (a, b) => b.lessons["lesson-1"]!.minutes! - a.lessons["lesson-1"]!.minutes! || a.name.localeCompare(b.name),
          )
          .slice(0, 5)
          .map((l) => [l.name, l.lessons["lesson-1"]!.minutes]);
        const { stuck } = summarizeRoom(learners);
        const byName = new Map(learners.map((l) => [l.id, l.lessons["lesson-1"]!.minutes]));
        expect(stuck.map((s) => [s.name, byName.get(s.id)])).toEqual(expected);
      }),
    );
  });

  it("is empty for an empty room", () => {
    expect(summarizeRoom([])).toEqual({ stuck: [], mostFailed: {} });
  });
});
