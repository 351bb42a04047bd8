import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LessonEntry, PublicLearner } from "./room-store.ts";
import { clusterIdsShown, lessonFacts, summarizeRoom } from "./room-summary.ts";
import { testLessons } from "./test-room.ts";

// The room's clock reads 10:30 throughout; each entry says when it was heard and what the room
// tracked of it (room-signals.ts says how).
const now = Date.parse("2026-11-30T10:30:00.000Z");
const facts = lessonFacts(testLessons);
const summarize = (learners: PublicLearner[]) => summarizeRoom(learners, facts, now);

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

/** Failing `test` since 10:29 (one minute: no signal yet), saved just now. */
const failing = (test: string, mistake?: string, overrides: Partial<LessonEntry> = {}) =>
  entry({
    failingTest: test,
    diagnosis: mistake ? { mistake, title: `title of ${mistake}` } : null,
    failingSince: "2026-11-30T10:29:00.000Z",
    checksOnFailure: 1,
    savedAt: "2026-11-30T10:29:30.000Z",
    ...overrides,
  });

/** Stuck on the same failure for 20 minutes. */
const stuckOn = (test: string, overrides: Partial<LessonEntry> = {}) =>
  failing(test, undefined, { failingSince: "2026-11-30T10:10:00.000Z", checksOnFailure: 3, ...overrides });

const learner = (name: string, current: string | undefined, lessons: Record<string, LessonEntry>): PublicLearner => ({
  id: name.toLowerCase(),
  name,
  joinedAt: "2026-11-30T09:00:00.000Z",
  lastSeen: "2026-11-30T10:00:00.000Z",
  ...(current && { current }),
  lessons,
});

describe("summarizeRoom: who is stuck, and why", () => {
  it("names each stuck learner with their signals, longest on their lesson first", () => {
    const { stuck, stuckCount } = summarize([
      learner("Ana", "lesson-2", { "lesson-2": stuckOn("validates email", { minutes: 25 }) }),
      learner("Ben", "lesson-1", {
        "lesson-1": failing("maps P2002", "wrong-code", {
          minutes: 40,
          hintsUsed: 3,
          savedAt: "2026-11-30T10:15:00.000Z",
        }),
      }),
      // Failing for a minute and saving: working, not stuck, however long on the lesson.
      learner("Cy", "lesson-1", { "lesson-1": failing("maps P2002", undefined, { minutes: 90 }) }),
    ]);
    expect(stuck).toEqual([
      {
        id: "ben",
        name: "Ben",
        lesson: "lesson-1",
        failingTest: "maps P2002",
        diagnosis: "title of wrong-code",
        since: "2026-11-30T09:20:00.000Z",
        signals: [
          { kind: "no-save", since: "2026-11-30T10:15:00.000Z" },
          { kind: "all-hints", hints: 3 },
        ],
      },
      {
        id: "ana",
        name: "Ana",
        lesson: "lesson-2",
        failingTest: "validates email",
        since: "2026-11-30T09:35:00.000Z",
        signals: [{ kind: "same-failure", since: "2026-11-30T10:10:00.000Z", checks: 3 }],
      },
    ]);
    expect(stuckCount).toBe(2);
  });

  it("counts only the current lesson, started and not passed", () => {
    const { stuck, stuckCount } = summarize([
      // Ana's lesson 1 is behind her, however stuck it looked.
      learner("Ana", "lesson-2", { "lesson-1": stuckOn("a"), "lesson-2": failing("b") }),
      learner("Dee", "lesson-1", { "lesson-1": stuckOn("a", { status: "passed" }) }),
      learner("Eve", "lesson-1", { "lesson-1": stuckOn("a", { status: "solved", solvedByCopy: true }) }),
      // Only opened by watch mode, never worked on.
      learner("Gus", "lesson-1", { "lesson-1": stuckOn("a", { status: "not-started", minutes: null }) }),
      learner("Flo", undefined, {}),
    ]);
    expect({ stuck, stuckCount }).toEqual({ stuck: [], stuckCount: 0 });
  });

  it("names at most five stuck learners, and counts them all", () => {
    const learners = Array.from({ length: 8 }, (_, i) =>
      learner(`L${i}`, "lesson-1", { "lesson-1": stuckOn("a", { minutes: i }) }),
    );
    const { stuck, stuckCount } = summarize(learners);
    expect(stuck.map((s) => s.name)).toEqual(["L7", "L6", "L5", "L4", "L3"]);
    expect(stuckCount).toBe(8);
  });

  it("names the five stuck longest, longest first and equals by name, whatever the order of the room", () => {
    const room = fc.array(
      fc.record({ name: fc.constantFrom("Ana", "Ben", "Cy", "Dee", "Eve", "Flo", "Gus"), minutes: fc.nat(5) }),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(room, (people) => {
        const learners = people.map(({ name, minutes }, i) => ({
          ...learner(name, "lesson-1", { "lesson-1": stuckOn("a", { minutes }) }),
          id: String(i),
        }));
        const expected = [...learners]
          .sort(
            (a, b) => b.lessons["lesson-1"]!.minutes! - a.lessons["lesson-1"]!.minutes! || a.name.localeCompare(b.name),
          )
          .slice(0, 5)
          .map((l) => [l.name, l.lessons["lesson-1"]!.minutes]);
        const { stuck } = summarize(learners);
        const byName = new Map(learners.map((l) => [l.id, l.lessons["lesson-1"]!.minutes]));
        expect(stuck.map((s) => [s.name, byName.get(s.id)])).toEqual(expected);
      }),
    );
  });
});

describe("summarizeRoom: clusters", () => {
  it("groups learners on their current lesson by diagnosed mistake, else by first failing test, largest first", () => {
    const { clusters } = summarize([
      // Two diagnosed alike, failing different tests: one cluster, named by the mistake.
      learner("Ana", "lesson-2", { "lesson-2": failing("t1", "count-below-max") }),
      learner("Ben", "lesson-2", { "lesson-2": failing("t2", "count-below-max") }),
      learner("Cy", "lesson-2", { "lesson-2": failing("t1", "count-below-max") }),
      // Undiagnosed, by test: the diagnosed ones above are not counted again under their tests.
      learner("Dee", "lesson-2", { "lesson-2": failing("t1") }),
      learner("Eve", "lesson-2", { "lesson-2": failing("t1") }),
      learner("Flo", "lesson-1", { "lesson-1": failing("t9") }),
      learner("Gus", "lesson-1", { "lesson-1": failing("t9") }),
      // Alone with a failure: no cluster of one.
      learner("Hal", "lesson-3", { "lesson-3": failing("t0") }),
      // Behind them, passed, or no failure named: in no cluster.
      learner("Ida", "lesson-3", {
        "lesson-2": failing("t1"),
        "lesson-3": failing("t0", undefined, { status: "passed" }),
      }),
      learner("Jo", "lesson-2", { "lesson-2": failing("", undefined, { failingTest: null }) }),
    ]);
    expect(clusters).toEqual([
      { lesson: "lesson-2", by: "mistake", label: "title of count-below-max", learners: 3, ids: ["ana", "ben", "cy"] },
      // Equal sizes: the earlier lesson first.
      { lesson: "lesson-1", by: "test", label: "t9", learners: 2, ids: ["flo", "gus"] },
      { lesson: "lesson-2", by: "test", label: "t1", learners: 2, ids: ["dee", "eve"] },
    ]);
  });

  it("keeps the same order for the same room, whichever order its learners come in", () => {
    const room = [
      learner("Ana", "lesson-1", { "lesson-1": failing("b") }),
      learner("Ben", "lesson-1", { "lesson-1": failing("a") }),
      learner("Cy", "lesson-1", { "lesson-1": failing("b") }),
      learner("Dee", "lesson-1", { "lesson-1": failing("a") }),
    ];
    const labels = (learners: PublicLearner[]) => summarize(learners).clusters.map((c) => c.label);
    expect(labels(room)).toEqual(["a", "b"]);
    expect(labels([...room].reverse())).toEqual(["a", "b"]);
  });

  it(`names at most ${clusterIdsShown} learners of a cluster, and counts them all`, () => {
    const learners = Array.from({ length: 45 }, (_, i) => learner(`L${i}`, "lesson-1", { "lesson-1": failing("a") }));
    const [cluster] = summarize(learners).clusters;
    expect(cluster?.learners).toBe(45);
    expect(cluster?.ids).toHaveLength(clusterIdsShown);
  });

  it("shows at most eight clusters", () => {
    const learners = Array.from({ length: 20 }, (_, i) =>
      learner(`L${i}`, "lesson-1", { "lesson-1": failing(`test ${i % 10}`) }),
    );
    expect(summarize(learners).clusters).toHaveLength(8);
  });
});

describe("summarizeRoom", () => {
  it("is empty for an empty room", () => {
    expect(summarize([])).toEqual({ stuck: [], stuckCount: 0, clusters: [] });
  });
});
