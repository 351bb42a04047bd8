import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import type { Context } from "./learner/cli/context.ts";
import { createOutput } from "./learner/render/output.ts";
import { startWatch } from "./learner/watch/watch.ts";
import { statusMarks } from "./learner/workbook/lesson-status.ts";
import {
  type FixtureWorkbook,
  capture,
  cleanEnv,
  createFixtureWorkbook,
  fixtureLesson,
} from "./testing/fixture-workbook.ts";
import { type TestRoom, startTestRoom } from "./trainer/room/test-room.ts";

// One truth for learner and trainer: for one .workbook/, built by real commands that report to a
// real room, `report --json`, `progress`, watch mode and the room's JSON export say the same of
// every lesson: its status, its counts, its failing test, whether it was copied.

let workbook: FixtureWorkbook | undefined;
let room: TestRoom | undefined;
afterEach(async () => {
  await room?.remove();
  workbook?.remove();
  room = undefined;
  workbook = undefined;
});

const now = () => new Date("2026-12-01T10:00:00Z");
const half = "export function add(a: number, b: number): number {\n  return a + Math.abs(b);\n}\n";

interface Seen {
  status: string;
  passing: number | null;
  total: number | null;
  failingTest?: string | null;
}

/** What watch mode shows of each lesson: the mark in its list (l), and its verdict's count. */
async function watchView(fixture: FixtureWorkbook): Promise<{ marks: string[]; counts: string }> {
  const stdout = capture();
  const stdin = Object.assign(new PassThrough(), { isTTY: false });
  const env = cleanEnv();
  const ctx: Context = {
    root: fixture.root,
    out: createOutput(stdout, capture(), env),
    env,
    stdin,
    now,
    ask: async () => false,
  };
  let verdicts = 0;
  const session = startWatch(ctx, {
    poll: false,
    lesson: "lesson-2",
    onEvent: (event) => {
      if (event.type === "verdict") verdicts++;
    },
  });
  try {
    await expect.poll(() => verdicts, { timeout: 30_000 }).toBe(1);
    stdin.write("l");
    await expect.poll(() => stdout.text()).toContain("Type a lesson's number");
    const lines = stdout.text().split("\n");
    const marks = lines.filter((line) => /^ {2}[ \d]\d /.test(line)).map((line) => line.trim().split(" ")[1]!);
    const counts = lines.find((line) => line.startsWith("lesson-2 ") && line.includes("tests passing")) ?? "";
    return { marks, counts };
  } finally {
    session.stop();
    await session.done;
  }
}

describe("every view of one workbook", () => {
  it("agrees on each lesson's status and counts: report, progress, watch mode and the room", async () => {
    workbook = createFixtureWorkbook([
      fixtureLesson(1, "adder"),
      fixtureLesson(2, "adder two"),
      fixtureLesson(3, "adder three"),
    ]);
    const lessons = [1, 2, 3].map((n) => ({
      id: `lesson-${n}`,
      number: n,
      pattern: "adder",
      title: "Adding",
      hints: 2,
    }));
    room = await startTestRoom({ lessons });
    const joined = ["--room", room.joinUrl, "--name", "Ana"];
    // lesson-1 solved by copy; lesson-2 half written, checked, with a hint; lesson-3 untouched.
    expect((await workbook.run(["solve", "lesson-1", "--yes", ...joined], { now })).code).toBe(0);
    workbook.write("lessons/lesson-2-adder-two/adder.ts", half);
    expect((await workbook.run(["check", "lesson-2"], { now })).code).toBe(1);
    expect((await workbook.run(["hint", "lesson-2"], { now })).code).toBe(0);

    const report = JSON.parse((await workbook.run(["report", "--json"], { now })).stdout) as { lessons: Seen[] };
    const fromReport = report.lessons.map(({ status, passing, total, failingTest }) => ({
      status,
      passing,
      total,
      failingTest,
    }));
    expect(fromReport).toEqual([
      { status: "solved", passing: 2, total: 2, failingTest: null },
      { status: "started", passing: 1, total: 2, failingTest: "add › adds a negative number" },
      { status: "not-started", passing: null, total: null, failingTest: null },
    ]);

    const exported = await (await fetch(`${room.origin}/room.json?key=${room.store.trainerKey}`)).json();
    const fromRoom = lessons.map(({ id }) => {
      const { status, passing, total, failingTest } = exported.learners[0].lessons[id] as Seen;
      return { status, passing, total, failingTest };
    });
    expect(fromRoom).toEqual(fromReport);

    const progress = (await workbook.run(["progress"], { now })).stdout.split("\n").slice(1, 4);
    expect(progress.map((line) => line.trim().split(" ")[0])).toEqual(
      fromReport.map((l) => statusMarks[l.status as "solved"]),
    );
    expect(progress.map((line) => /(\d+)\/(\d+) tests/.exec(line)?.slice(1).map(Number) ?? null)).toEqual(
      fromReport.map((l) => (l.total === null ? null : [l.passing, l.total])),
    );

    const watch = await watchView(workbook);
    expect(watch.marks).toEqual(fromReport.map((l) => statusMarks[l.status as "solved"]));
    expect(watch.counts).toContain("lesson-2 adder two: 1/2 tests passing");
  }, 60_000);
});
