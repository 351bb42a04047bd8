import { symlinkSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { type FixtureWorkbook, createFixtureWorkbook } from "../../testing/fixture-workbook.ts";
import { summarize } from "../check/check-lesson.ts";
import type { Lesson } from "./lessons.ts";
import { readState, writeState } from "./state.ts";
import { type LessonStatusEvent, Workbook } from "./workbook.ts";

let fixture: FixtureWorkbook;
afterEach(() => fixture?.remove());

/** A workbook whose clock the test moves, with every status it emits. */
function open(start = "2026-11-30T10:00:00Z") {
  let now = new Date(start);
  const workbook = Workbook.open(fixture.root, { now: () => now });
  const statuses: LessonStatusEvent[] = [];
  workbook.onStatus((status) => statuses.push(status));
  return { workbook, statuses, wait: (minutes: number) => (now = new Date(now.getTime() + minutes * 60_000)) };
}

const result = (lesson: Lesson, passed: boolean) =>
  summarize(
    lesson,
    {
      tests: [
        { file: `${lesson.dir}/t.test.ts`, name: "a", fullName: "a › one", status: "passed" },
        passed
          ? { file: `${lesson.dir}/t.test.ts`, name: "b", fullName: "a › two", status: "passed" }
          : {
              file: `${lesson.dir}/t.test.ts`,
              name: "b",
              fullName: "a › two",
              status: "failed",
              failure: { errorName: "AssertionError", message: "no" },
            },
      ],
      fileErrors: [],
      logs: [],
    },
    [],
  );

describe("Workbook", () => {
  it("resolves a lesson by id, number or pattern, and is on the current one otherwise", () => {
    fixture = createFixtureWorkbook();
    const { workbook } = open();
    expect(["lesson-2", "2", "rate-limiter", "rate limiter"].map((name) => workbook.lesson(name).id)).toEqual([
      "lesson-2",
      "lesson-2",
      "lesson-2",
      "lesson-2",
    ]);
    expect(workbook.lesson().id).toBe("lesson-1");
  });

  it("tells its listeners the status after each verdict, with the minutes from the first check to passing", () => {
    fixture = createFixtureWorkbook();
    const { workbook, statuses, wait } = open();
    const lesson = workbook.lesson("lesson-1");
    workbook.record(result(lesson, false));
    wait(3);
    workbook.takeHint(lesson);
    wait(9.5);
    workbook.record(result(lesson, true), { event: "watch" });
    wait(30);
    workbook.markReset(lesson);
    expect(statuses.map(({ at: _at, ...status }) => status)).toEqual([
      {
        event: "check",
        lesson: "lesson-1",
        passed: false,
        solved: false,
        passing: 1,
        total: 2,
        hintsUsed: 0,
        failingTest: "a › two",
        minutesOnLesson: 0,
      },
      {
        event: "hint",
        lesson: "lesson-1",
        passed: false,
        solved: false,
        passing: 1,
        total: 2,
        hintsUsed: 1,
        minutesOnLesson: 3,
      },
      {
        event: "watch",
        lesson: "lesson-1",
        passed: true,
        solved: false,
        passing: 2,
        total: 2,
        hintsUsed: 1,
        minutesOnLesson: 12,
      },
      {
        event: "reset",
        lesson: "lesson-1",
        passed: false,
        solved: false,
        passing: 0,
        total: 2,
        hintsUsed: 1,
        minutesOnLesson: 42,
      },
    ]);
    expect(statuses[2]!.at).toBe("2026-11-30T10:12:30.000Z");
  });

  it("records a solve for each lesson, and moves the current lesson past them", () => {
    fixture = createFixtureWorkbook();
    const { workbook, statuses } = open();
    expect(workbook.markSolved([workbook.lesson("1")]).id).toBe("lesson-2");
    expect(statuses).toMatchObject([{ event: "solve", lesson: "lesson-1", passed: true, solved: true }]);
    expect(readState(fixture.root, () => {})).toMatchObject({
      current: "lesson-2",
      lessons: { "lesson-1": { passed: true, solved: true } },
    });
  });

  it("never lets a failing listener stop a command", () => {
    fixture = createFixtureWorkbook();
    const { workbook } = open();
    workbook.onStatus(() => {
      throw new Error("the room is down");
    });
    expect(workbook.takeHint(workbook.lesson())).toMatchObject({ number: 1 });
  });

  it("stops telling a listener once it unsubscribes", () => {
    fixture = createFixtureWorkbook();
    const workbook = Workbook.open(fixture.root);
    const seen: string[] = [];
    const stop = workbook.onStatus((status) => seen.push(status.event));
    workbook.takeHint(workbook.lesson());
    stop();
    workbook.takeHint(workbook.lesson());
    expect(seen).toEqual(["hint"]);
  });

  it("reloads a state changed elsewhere, and only then", () => {
    fixture = createFixtureWorkbook();
    const { workbook } = open();
    workbook.takeHint(workbook.lesson());
    expect(workbook.reload()).toBe(false);
    writeState(fixture.root, { version: 1, current: "lesson-2", lessons: {} });
    expect(workbook.reload()).toBe(true);
    expect(workbook.lesson().id).toBe("lesson-2");
  });

  it("loads a state file written before startedAt and passedAt existed", () => {
    fixture = createFixtureWorkbook();
    fixture.write(
      ".workbook/state.json",
      JSON.stringify({
        version: 1,
        current: "lesson-1",
        lessons: { "lesson-1": { passed: false, testsPassing: 1, testsTotal: 2, hintsUsed: 2, solved: false } },
      }),
    );
    const { workbook, statuses } = open();
    workbook.takeHint(workbook.lesson());
    expect(statuses[0]).toMatchObject({ hintsUsed: 3, minutesOnLesson: 0 });
    expect(workbook.entry(workbook.lesson()).startedAt).toBe("2026-11-30T10:00:00.000Z");
  });

  it.runIf(process.platform === "linux")("warns, and carries on, when progress cannot be saved", () => {
    fixture = createFixtureWorkbook();
    // A .workbook nothing can be written in, not even by root: a link to /proc.
    symlinkSync("/proc", fixture.path(".workbook"));
    const warnings: string[] = [];
    const workbook = Workbook.open(fixture.root, { warn: (line) => warnings.push(line) });
    expect(workbook.takeHint(workbook.lesson())).toMatchObject({ number: 1 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^progress could not be saved to \.workbook\/state\.json \(E[A-Z]+\); your lesson files are untouched\.$/,
    );
  });
});
