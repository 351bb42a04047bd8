import { readdirSync, readFileSync, rmSync, symlinkSync, utimesSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  type FixtureWorkbook,
  createFixtureWorkbook,
  projectRoot,
  references,
} from "../../testing/fixture-workbook.ts";
import { checkResult, failedTest, passedTest } from "../../testing/lessons.ts";
import type { Lesson } from "./lessons.ts";
import { readState, writeState } from "./state-file.ts";
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
  checkResult(lesson, [
    passedTest(lesson, "a › one"),
    passed ? passedTest(lesson, "a › two") : failedTest(lesson, "a › two"),
  ]);

/** The fields of a status that say where the lesson stands. */
const brief = ({ event, status, passing, total, hintsUsed, failingTest, minutes }: LessonStatusEvent) => ({
  event,
  status,
  passing,
  total,
  hintsUsed,
  failingTest,
  minutes,
});

describe("Workbook", () => {
  it("resolves a lesson by id, number or pattern, and is on the current one otherwise", () => {
    fixture = createFixtureWorkbook();
    const { workbook } = open();
    const named = ["lesson-2", "2", "rate-limiter", "rate limiter"].map((name) => workbook.lesson(name).id);
    expect(named).toEqual(["lesson-2", "lesson-2", "lesson-2", "lesson-2"]);
    expect(workbook.lesson().id).toBe("lesson-1");
  });

  it("tells its listeners the derived status after every change, with minutes from the first work to passing", () => {
    fixture = createFixtureWorkbook();
    const { workbook, statuses, wait } = open();
    const lesson = workbook.lesson("lesson-1");
    workbook.record(result(lesson, false), "check");
    wait(3);
    workbook.takeHint(lesson);
    wait(9.5);
    workbook.record(result(lesson, true), "save");
    wait(30);
    workbook.markReset(lesson);
    expect(statuses.map(brief)).toEqual([
      { event: "check", status: "started", passing: 1, total: 2, hintsUsed: 0, failingTest: "a › two", minutes: 0 },
      { event: "hint", status: "started", passing: 1, total: 2, hintsUsed: 1, failingTest: "a › two", minutes: 3 },
      { event: "watch", status: "passed", passing: 2, total: 2, hintsUsed: 1, failingTest: null, minutes: 12 },
      { event: "reset", status: "started", passing: 0, total: 2, hintsUsed: 1, failingTest: null, minutes: 42 },
    ]);
    expect(statuses[2]!.at).toBe("2026-11-30T10:12:30.000Z");
  });

  it("keeps the failing test through hints, so the room still knows where the learner is stuck", () => {
    fixture = createFixtureWorkbook();
    const { workbook, statuses } = open();
    const lesson = workbook.lesson("lesson-1");
    workbook.record(result(lesson, false), "check");
    workbook.takeHint(lesson);
    workbook.takeHint(lesson);
    expect(statuses.map((s) => s.failingTest)).toEqual(["a › two", "a › two", "a › two"]);
  });

  it("tells the room when the lesson's file was last saved, however the learner works, or null when it is gone", () => {
    fixture = createFixtureWorkbook();
    const { workbook, statuses } = open();
    const lesson = workbook.lesson("lesson-1");
    const savedAt = new Date("2026-11-30T09:48:00Z");
    utimesSync(fixture.path(`${lesson.dir}/adder.ts`), savedAt, savedAt);
    workbook.record(result(lesson, false), "check");
    workbook.takeHint(lesson);
    rmSync(fixture.path(`${lesson.dir}/adder.ts`));
    workbook.record(result(lesson, false), "save");
    expect(statuses.map((s) => [s.event, s.savedAt])).toEqual([
      ["check", "2026-11-30T09:48:00.000Z"],
      ["hint", "2026-11-30T09:48:00.000Z"],
      ["watch", null],
    ]);
  });

  it("remembers where the last check found its first problem, for another terminal to open, until it passes", () => {
    fixture = createFixtureWorkbook();
    const { workbook } = open();
    const lesson = workbook.lesson("lesson-1");
    const at = { file: `${lesson.dir}/adder.ts`, line: 3, column: 10 };
    expect(workbook.lastProblemAt(lesson), "no check yet").toBeUndefined();
    workbook.record(checkResult(lesson, [failedTest(lesson, "a", { location: at })]), "check");
    expect(Workbook.open(fixture.root).lastProblemAt(lesson), "read back by another process").toEqual(at);
    workbook.record(result(lesson, true), "save");
    expect(workbook.lastProblemAt(lesson), "a pass has no problem").toBeUndefined();
    workbook.record(checkResult(lesson, [failedTest(lesson, "a", { location: at })]), "check");
    workbook.markReset(lesson);
    expect(workbook.lastProblemAt(lesson), "a reset stub was not checked yet").toBeUndefined();
  });

  it("does not start a lesson that watch mode only opened: no minutes, not started, nothing stuck", () => {
    fixture = createFixtureWorkbook();
    const { workbook, statuses, wait } = open();
    const lesson = workbook.lesson("lesson-1");
    workbook.record(checkResult(lesson, [failedTest(lesson, "a"), failedTest(lesson, "b")]), "open");
    wait(12);
    expect(workbook.status(lesson)).toMatchObject({ status: "not-started", passing: 0, total: 2, minutes: null });
    expect(statuses.map((s) => s.status)).toEqual(["not-started"]);
    workbook.record(result(lesson, false), "save");
    wait(5);
    expect(workbook.status(lesson)).toMatchObject({ status: "started", minutes: 5 });
  });

  it("records report --fresh's counts without starting, moving or telling anything", () => {
    fixture = createFixtureWorkbook();
    const { workbook, statuses } = open();
    const lesson = workbook.lesson("lesson-2");
    workbook.record(result(lesson, false), "fresh");
    expect(workbook.status(lesson)).toMatchObject({ status: "started", passing: 1, total: 2, minutes: null });
    expect(workbook.lesson().id).toBe("lesson-1");
    expect(statuses).toEqual([]);
  });

  it("forgets when a lesson passed once a check finds it failing again", () => {
    fixture = createFixtureWorkbook();
    const { workbook } = open();
    const lesson = workbook.lesson("lesson-1");
    workbook.record(result(lesson, true), "check");
    expect(workbook.status(lesson).passedAt).not.toBeNull();
    workbook.record(result(lesson, false), "fresh");
    expect(workbook.status(lesson)).toMatchObject({ status: "started", passedAt: null });
    expect(readState(fixture.root).lessons["lesson-1"]?.passedAt).toBeUndefined();
  });

  it("shows a solved lesson with its test count everywhere: ◆, every test passing", () => {
    fixture = createFixtureWorkbook();
    const { workbook, statuses } = open();
    const lesson = workbook.lesson("1");
    expect(workbook.markSolved([lesson], { totals: new Map([["lesson-1", 2]]) }).id).toBe("lesson-2");
    expect(brief(statuses[0]!)).toEqual({
      event: "solve",
      status: "solved",
      passing: 2,
      total: 2,
      hintsUsed: 0,
      failingTest: null,
      minutes: null,
    });
    expect(workbook.status(lesson)).toMatchObject({ solvedByCopy: true, tests: "counted" });
    expect(readState(fixture.root)).toMatchObject({ current: "lesson-2" });
  });

  it("keeps a solved lesson's recorded count when its tests cannot be counted", () => {
    fixture = createFixtureWorkbook();
    const { workbook } = open();
    const lesson = workbook.lesson("1");
    workbook.record(result(lesson, false), "check");
    workbook.markSolved([lesson]);
    expect(workbook.status(lesson)).toMatchObject({ status: "solved", passing: 2, total: 2, tests: "counted" });
  });

  it("counts a lesson whose file holds the reference as solved by copy, however it got there", () => {
    fixture = createFixtureWorkbook();
    const { workbook, statuses } = open();
    const lesson = workbook.lesson("1");
    // Copied by hand, reformatted, its comments changed: still the reference's code.
    const copy = `// my own work\n${references["solutions/adder.ts"]!.replace("return a + b;", "return  a + b; /* done */")}`;
    fixture.write("lessons/lesson-1-adder/adder.ts", copy);
    workbook.record(result(lesson, true), "check");
    expect(statuses[0]).toMatchObject({ status: "solved", solvedByCopy: true, passing: 2, total: 2 });
    fixture.write("lessons/lesson-1-adder/adder.ts", references["solutions/adder.ts"]!.replace("a + b", "b + a"));
    workbook.record(result(lesson, true), "check");
    expect(statuses[1]).toMatchObject({ status: "passed", solvedByCopy: false });
  });

  it("is on the recorded current lesson, else the first not done, else the last", () => {
    fixture = createFixtureWorkbook();
    const passed = { passed: true, testsPassing: 1, testsTotal: 1, hintsUsed: 0, solved: false };
    const current = (state: Parameters<typeof writeState>[1]) => {
      writeState(fixture.root, state);
      return Workbook.open(fixture.root).lesson().id;
    };
    expect(current({ version: 1, current: "lesson-2", lessons: {} })).toBe("lesson-2");
    expect(current({ version: 1, lessons: { "lesson-1": passed } })).toBe("lesson-2");
    expect(current({ version: 1, current: "lesson-12", lessons: {} })).toBe("lesson-1");
    expect(current({ version: 1, lessons: { "lesson-1": passed, "lesson-2": passed } })).toBe("lesson-2");
  });

  it.each([
    ["a failing check makes its lesson current", "lesson-1", "lesson-2", false, "check", "lesson-2"],
    ["a passing check of the current lesson hands over to the next", "lesson-1", "lesson-1", true, "check", "lesson-2"],
    ["a passing check of another lesson moves nothing", "lesson-1", "lesson-2", true, "check", "lesson-1"],
    ["a fresh check moves nothing", "lesson-1", "lesson-2", false, "fresh", "lesson-1"],
  ] as const)("%s", (_case, before, checked, passes, trigger, after) => {
    fixture = createFixtureWorkbook();
    writeState(fixture.root, { version: 1, current: before, lessons: {} });
    const { workbook } = open();
    workbook.record(result(workbook.lesson(checked), passes), trigger);
    expect(workbook.lesson().id).toBe(after);
  });

  it("keeps the last known number of tests when the test file cannot load", () => {
    fixture = createFixtureWorkbook();
    const { workbook } = open();
    const lesson = workbook.lesson("2");
    workbook.record(result(lesson, false), "check");
    const fileErrors = [
      { file: `${lesson.dir}/limiter.test.ts`, failure: { errorName: "SyntaxError", message: "bad" } },
    ];
    workbook.record(checkResult(lesson, [], { fileErrors }), "check");
    expect(workbook.status(lesson)).toMatchObject({ passing: 0, total: 2 });
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

  it("makes every change to the state as it is on disk, so another terminal's change is kept", () => {
    fixture = createFixtureWorkbook();
    const { workbook } = open();
    const other = Workbook.open(fixture.root);
    workbook.takeHint(workbook.lesson("1"));
    other.takeHint(other.lesson("2"));
    workbook.takeHint(workbook.lesson("1"));
    const { lessons } = readState(fixture.root);
    expect([lessons["lesson-1"]?.hintsUsed, lessons["lesson-2"]?.hintsUsed]).toEqual([2, 1]);
  });

  it("loads a state file written before startedAt and passedAt existed", () => {
    fixture = createFixtureWorkbook();
    const lessons = { "lesson-1": { passed: false, testsPassing: 1, testsTotal: 2, hintsUsed: 2, solved: false } };
    fixture.write(".workbook/state.json", JSON.stringify({ version: 1, current: "lesson-1", lessons }));
    const { workbook, statuses } = open();
    expect(workbook.status(workbook.lesson())).toMatchObject({ status: "started", minutes: null });
    workbook.takeHint(workbook.lesson());
    expect(statuses[0]).toMatchObject({ hintsUsed: 3, minutes: 0 });
  });

  it("records what a failing check's diagnosis says, for the room, until a check, a solve or a reset clears it", () => {
    fixture = createFixtureWorkbook();
    const { workbook, statuses } = open();
    const lesson = workbook.lesson("lesson-2");
    const diagnosis = { mistake: "allows-one-too-many", title: "allow while used <= max", note: "Your limiter…" };
    const diagnosed = { ...result(lesson, false), diagnosis };
    const seen = () => statuses.map((status) => status.diagnosis);
    workbook.record(diagnosed, "check");
    expect(workbook.status(lesson).diagnosis).toEqual({
      mistake: "allows-one-too-many",
      title: "allow while used <= max",
    });
    workbook.record(result(lesson, false), "save");
    workbook.record(diagnosed, "save");
    workbook.record(result(lesson, true), "save");
    workbook.record(diagnosed, "check");
    workbook.markReset(lesson);
    workbook.record(diagnosed, "check");
    workbook.markSolved([lesson]);
    const room = { mistake: "allows-one-too-many", title: "allow while used <= max" };
    expect(seen()).toEqual([room, null, room, null, room, null, room, null]);
    expect(Workbook.open(fixture.root).status(lesson).diagnosis, "kept in the state file").toBeNull();
  });

  it("loads a state file written before diagnoses existed, as no diagnosis", () => {
    fixture = createFixtureWorkbook();
    const lessons = { "lesson-1": { passed: false, testsPassing: 1, testsTotal: 2, failingTest: "a › two" } };
    fixture.write(".workbook/state.json", JSON.stringify({ version: 1, current: "lesson-1", lessons }));
    expect(open().workbook.status(open().workbook.lesson())).toMatchObject({ failingTest: "a › two", diagnosis: null });
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

describe("the state file's one owner", () => {
  it("is the Workbook: no other source of the CLI reads or writes .workbook/state.json", () => {
    const touchesTheFile = /\b(readStateText|readState|writeState|stateFile)\b|\/state\.json/;
    const checks = path.join(projectRoot, "checks");
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory())
          return ["mistakes", "testing", "bench", ".build"].includes(entry.name) ? [] : sources(file);
        return /\.(ts|mjs)$/.test(entry.name) && !entry.name.endsWith(".test.ts") ? [file] : [];
      });
    const users = sources(checks)
      .filter((file) => touchesTheFile.test(readFileSync(file, "utf8")))
      .map((file) => path.relative(checks, file));
    expect(users.sort()).toEqual(["learner/workbook/state-file.ts", "learner/workbook/workbook.ts"]);
  });
});
