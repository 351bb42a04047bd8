import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { csvCell, roomCsv, roomJson } from "./room-export.ts";
import type { LessonEntry, PublicLearner } from "./room-store.ts";
import { testLessons } from "./test-room.ts";

const base: LessonEntry = {
  event: "check",
  status: "started",
  solvedByCopy: false,
  passing: 0,
  total: 4,
  tests: "checked",
  hintsUsed: 0,
  minutes: 7,
  failingTest: null,
  diagnosis: null,
  startedAt: "2026-11-30T09:53:00.000Z",
  passedAt: null,
  lastChecked: "2026-11-30T10:00:00.000Z",
  at: "2026-11-30T10:00:00.000Z",
  receivedAt: "2026-11-30T10:00:01.000Z",
  failingSince: null,
  checksOnFailure: 0,
  savedAt: null,
};

const learners: PublicLearner[] = [
  {
    id: "a",
    name: '=HYPERLINK("x")',
    joinedAt: "2026-11-30T09:00:00.000Z",
    lastSeen: "2026-11-30T10:00:01.000Z",
    current: "lesson-2",
    lessons: {
      "lesson-1": { ...base, event: "solve", status: "solved", solvedByCopy: true, passing: 4 },
      "lesson-2": { ...base, passing: 1, hintsUsed: 2, failingTest: 'rejects "bad", emails' },
    },
  },
];

describe("room exports", () => {
  it("writes one CSV row per learner and reported lesson, quoted and defused", () => {
    expect(roomCsv(learners, testLessons).split("\r\n")).toEqual([
      "learner,lesson,title,status,solved_by_copy,passing,total,hints_used,minutes,failing_test,last_event,last_checked",
      `"'=HYPERLINK(""x"")",lesson-1,One error class,solved,true,4,4,0,7,,solve,2026-11-30T10:00:00.000Z`,
      `"'=HYPERLINK(""x"")",lesson-2,Schemas,started,false,1,4,2,7,"rejects ""bad"", emails",check,2026-11-30T10:00:00.000Z`,
      "",
    ]);
  });

  it.each([
    ["plain", "plain"],
    ["-1+2", "'-1+2"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["'=already text", "'=already text"],
    ["a,b", '"a,b"'],
    ["a;b", '"a;b"'],
    ["line\nbreak", '"line\nbreak"'],
    // Where `;` separates cells (Excel in many European locales, LibreOffice), each part is a cell of its own.
    ["x;=cmd|' /C calc'!A0;", `"x;'=cmd|' /C calc'!A0;"`],
    ["t;=1+1;", `"t;'=1+1;"`],
    ["a, +1", `"a, '+1"`],
    ['a;"=1', `"a;""'=1"`],
    ["a;\t@x", `"a;\t'@x"`],
  ])("csvCell(%j) is %j", (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  // Read naively with either separator, no part of any line may start a formula.
  it("leaves no formula for a spreadsheet that splits cells on , or on ;", () => {
    const text = fc.string({
      unit: fc.constantFrom("=", "+", "-", "@", ";", ",", '"', "'", " ", "\t", "\n", "a", "1"),
    });
    const startsFormula = (part: string) => /^[\s"]*[=+\-@]/.test(part);
    fc.assert(
      fc.property(text, text, (name, test) => {
        const csv = roomCsv(
          [{ ...learners[0]!, name, lessons: { "lesson-1": { ...base, failingTest: test } } }],
          testLessons,
        );
        const parts = csv.split(/\r\n|\n|\r/).flatMap((line) => line.split(/[,;]/));
        expect(parts.filter(startsFormula)).toEqual([]);
      }),
    );
  });

  it("writes every lesson of every learner to JSON, not-started ones included", () => {
    const json = JSON.parse(roomJson(learners, testLessons, new Date("2026-11-30T12:00:00Z")));
    expect(json.generatedAt).toBe("2026-11-30T12:00:00.000Z");
    expect(json.learners[0].lessons).toEqual({
      "lesson-1": {
        status: "solved",
        solvedByCopy: true,
        passing: 4,
        total: 4,
        hintsUsed: 0,
        minutes: 7,
        failingTest: null,
        lastEvent: "solve",
        lastChecked: "2026-11-30T10:00:00.000Z",
      },
      "lesson-2": {
        status: "started",
        solvedByCopy: false,
        passing: 1,
        total: 4,
        hintsUsed: 2,
        minutes: 7,
        failingTest: 'rejects "bad", emails',
        lastEvent: "check",
        lastChecked: "2026-11-30T10:00:00.000Z",
      },
      "lesson-3": {
        status: "not-started",
        solvedByCopy: false,
        passing: null,
        total: null,
        hintsUsed: 0,
        minutes: null,
        failingTest: null,
        lastEvent: null,
        lastChecked: null,
      },
    });
  });

  it("writes every cluster with the names in it, and each learner's stuck signals on their current lesson", () => {
    const failingA = { ...base, failingTest: "a › b", failingSince: "2026-11-30T10:00:01.000Z", checksOnFailure: 8 };
    const room: PublicLearner[] = ["Ana", "Ben", "Cy"].map((name, i) => ({
      id: name.toLowerCase(),
      name,
      joinedAt: "2026-11-30T09:00:00.000Z",
      lastSeen: "2026-11-30T10:00:01.000Z",
      current: "lesson-1",
      lessons: { "lesson-1": i < 2 ? failingA : { ...base, status: "passed" } },
    }));
    const json = JSON.parse(roomJson(room, testLessons, new Date("2026-11-30T10:05:00Z")));
    expect(json.clusters).toEqual([
      { lesson: "lesson-1", by: "test", label: "a › b", learners: 2, names: ["Ana", "Ben"] },
    ]);
    expect(json.learners.map((learner: { stuck: unknown }) => learner.stuck)).toEqual([
      [{ kind: "same-failure", since: "2026-11-30T10:00:01.000Z", checks: 8 }],
      [{ kind: "same-failure", since: "2026-11-30T10:00:01.000Z", checks: 8 }],
      [],
    ]);
  });
});
