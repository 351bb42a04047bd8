import { userInfo } from "node:os";
import { afterEach, describe, expect, it, vi } from "vitest";
import { saveMembership } from "../room/settings.ts";
import { writeState } from "../workbook/state-file.ts";
import { type FixtureWorkbook, cleanEnv, createFixtureWorkbook } from "../../testing/fixture-workbook.ts";

let workbook: FixtureWorkbook;
afterEach(() => workbook?.remove());

const now = () => new Date("2026-11-26T14:30:00Z");

describe("npm run report", () => {
  function recorded(): FixtureWorkbook {
    const w = createFixtureWorkbook();
    w.git("config", "user.name", "Ada Learner");
    writeState(w.root, {
      version: 1,
      current: "lesson-2",
      lessons: {
        "lesson-1": {
          passed: true,
          testsPassing: 2,
          testsTotal: 2,
          hintsUsed: 1,
          solved: false,
          checkedAt: "2026-11-26T13:05:00.000Z",
        },
        "lesson-2": {
          passed: false,
          testsPassing: 1,
          testsTotal: 2,
          hintsUsed: 3,
          solved: false,
          checkedAt: "2026-11-26T14:10:00.000Z",
        },
      },
    });
    return w;
  }

  it("prints a markdown summary of the recorded results", async () => {
    workbook = recorded();
    expect(await workbook.run(["report"], { now })).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        "# Workbook progress: Ada Learner",
        "",
        "- Learner: Ada Learner (from git config user.name; npm run report -- --name sets another)",
        "- Date: 2026-11-26 14:30 UTC",
        "- Lessons done: 1 of 2",
        "- Current lesson: lesson-2 rate limiter",
        "- Results: as last recorded by npm run check (npm run report -- --fresh re-runs them)",
        "",
        "| Lesson | Pattern | Status | Tests passing | Hints used | Minutes | Last checked |",
        "|---|---|---|---|---|---|---|",
        "| lesson-1 | adder | ✓ passed | 2/2 | 1 | – | 2026-11-26 13:05 UTC |",
        "| lesson-2 | rate limiter | ◐ started | 1/2 | 3 | – | 2026-11-26 14:10 UTC |",
        "",
      ].join("\n"),
    });
  });

  it("writes the same summary to a file with --out, creating its folder", async () => {
    workbook = recorded();
    const printed = (await workbook.run(["report"], { now })).stdout;
    expect(await workbook.run(["report", "--out", "reports/ada.md"], { now })).toEqual({
      code: 0,
      stdout: "Report written to reports/ada.md\n",
      stderr: "",
    });
    expect(workbook.read("reports/ada.md")).toBe(printed);
  });

  it("prints the documented JSON shape with --json", async () => {
    workbook = recorded();
    const { code, stdout, stderr } = await workbook.run(["report", "--json"], { now });
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(JSON.parse(stdout)).toEqual({
      version: 1,
      learner: "Ada Learner",
      learnerNameFrom: "git",
      date: "2026-11-26T14:30:00.000Z",
      results: "recorded",
      countedNotRun: [],
      lessonsDone: 1,
      lessonsTotal: 2,
      currentLesson: "lesson-2",
      lessons: [
        {
          id: "lesson-1",
          pattern: "adder",
          title: "Adding two numbers",
          status: "passed",
          solvedByCopy: false,
          passing: 2,
          total: 2,
          tests: "checked",
          hintsUsed: 1,
          minutes: null,
          failingTest: null,
          diagnosis: null,
          startedAt: null,
          passedAt: null,
          lastChecked: "2026-11-26T13:05:00.000Z",
        },
        {
          id: "lesson-2",
          pattern: "rate limiter",
          title: "Saying no politely",
          status: "started",
          solvedByCopy: false,
          passing: 1,
          total: 2,
          tests: "checked",
          hintsUsed: 3,
          minutes: null,
          failingTest: null,
          diagnosis: null,
          startedAt: null,
          passedAt: null,
          lastChecked: "2026-11-26T14:10:00.000Z",
        },
      ],
    });
  });

  it("writes JSON to a file with --json --out", async () => {
    workbook = recorded();
    expect((await workbook.run(["report", "--json", "--out", "reports/ada.json"], { now })).stdout).toBe(
      "Report written to reports/ada.json\n",
    );
    expect(JSON.parse(workbook.read("reports/ada.json")).learner).toBe("Ada Learner");
  });

  it("reports minutes on a lesson from when it was started to when it passed, or to now", async () => {
    workbook = recorded();
    const state = JSON.parse(workbook.read(".workbook/state.json"));
    state.lessons["lesson-1"].startedAt = "2026-11-26T12:40:00.000Z";
    state.lessons["lesson-1"].passedAt = "2026-11-26T13:05:00.000Z";
    state.lessons["lesson-2"].startedAt = "2026-11-26T13:06:00.000Z";
    workbook.write(".workbook/state.json", JSON.stringify(state));
    const lessons = JSON.parse((await workbook.run(["report", "--json"], { now })).stdout).lessons;
    expect(
      lessons.map((l: { minutes: number; startedAt: string; passedAt: string | null }) => [
        l.minutes,
        l.startedAt,
        l.passedAt,
      ]),
    ).toEqual([
      [25, "2026-11-26T12:40:00.000Z", "2026-11-26T13:05:00.000Z"],
      [84, "2026-11-26T13:06:00.000Z", null],
    ]);
    expect((await workbook.run(["report"], { now })).stdout).toContain(
      "| lesson-2 | rate limiter | ◐ started | 1/2 | 3 | 84 | 2026-11-26 14:10 UTC |",
    );
  });

  describe("the learner's name", () => {
    it.each([
      [
        "--name wins over everything",
        { flag: "  Ana  Lima ", room: "Ana R.", env: "Ana E." },
        "Ana Lima",
        "--name",
        "(from --name)",
      ],
      [
        "then the name the learner joined the room with",
        { room: "Ana R.", env: "Ana E." },
        "Ana R.",
        "room",
        "(the name this learner joined the room with)",
      ],
      ["then WORKBOOK_NAME", { env: "Ana E." }, "Ana E.", "WORKBOOK_NAME", "(from WORKBOOK_NAME)"],
      [
        "then git's user.name",
        {},
        "Ada Learner",
        "git",
        "(from git config user.name; npm run report -- --name sets another)",
      ],
    ])("%s", async (_, { flag, room, env }: { flag?: string; room?: string; env?: string }, name, source, said) => {
      workbook = recorded();
      if (room)
        saveMembership(workbook.root, {
          joinUrl: "http://127.0.0.1:4321/join/abcdefgh",
          id: "i",
          secret: "s",
          name: room,
        });
      const io = { now, env: cleanEnv(env ? { WORKBOOK_NAME: env } : {}) };
      const args = flag ? ["--name", flag] : [];
      expect(JSON.parse((await workbook.run(["report", "--json", ...args], io)).stdout)).toMatchObject({
        learner: name,
        learnerNameFrom: source,
      });
      expect((await workbook.run(["report", ...args], io)).stdout).toContain(`- Learner: ${name} ${said}`);
    });

    it("falls back to the computer's user name without a git name, and says so", async () => {
      workbook = createFixtureWorkbook(undefined, { git: false });
      // git reads its settings from the process's environment: point it at none.
      vi.stubEnv("GIT_CONFIG_GLOBAL", "/dev/null");
      vi.stubEnv("GIT_CONFIG_NOSYSTEM", "1");
      try {
        const { stdout } = await workbook.run(["report"], { now });
        expect(stdout).toContain(
          `- Learner: ${userInfo().username} (the computer's user name; npm run report -- --name sets another)`,
        );
      } finally {
        vi.unstubAllEnvs();
      }
    });

    it("refuses an empty --name", async () => {
      workbook = recorded();
      expect(await workbook.run(["report", "--name", " "], { now })).toEqual({
        code: 2,
        stdout: "",
        stderr: '--name needs a name, like --name "Ana".\n',
      });
    });
  });

  it("says that a lesson was solved with the reference, with its real test count", async () => {
    workbook = recorded();
    await workbook.run(["solve", "lesson-2", "--yes"]);
    // The recorded 1/2 is from before the copy; the lesson's tests are counted, not run.
    expect((await workbook.run(["report"], { now })).stdout).toContain(
      "| lesson-2 | rate limiter | ◆ solved (reference copied in) | 2/2 (counted) | 3 | – | 2026-11-26 14:10 UTC |",
    );
    expect(JSON.parse((await workbook.run(["report", "--json"], { now })).stdout).lessons[1]).toMatchObject({
      status: "solved",
      solvedByCopy: true,
      passing: 2,
      total: 2,
      tests: "counted",
    });
  });

  it("says 'not checked' for a solved lesson whose tests cannot be counted", async () => {
    workbook = recorded();
    writeState(workbook.root, { version: 1, lessons: { "lesson-2": { hintsUsed: 3 } } });
    workbook.write("lessons/lesson-2-rate-limiter/limiter.test.ts", "this is not TypeScript {");
    const solved = await workbook.run(["solve", "lesson-2", "--yes"]);
    expect(solved.stderr).toContain("Warning: the tests of lesson-2 could not be counted");
    const { stdout } = await workbook.run(["report"], { now });
    expect(stdout).toContain("| lesson-2 | rate limiter | ◆ solved (reference copied in) | not checked | 3 |");
    expect(stdout).toContain("- Not checked: lesson-2 (npm run report -- --fresh counts them)");
  });

  describe("--fresh", () => {
    it("counts the tests of lessons holding the committed stub or the reference, and says so", async () => {
      workbook = recorded();
      await workbook.run(["solve", "lesson-2", "--yes"]);
      const { code, stdout } = await workbook.run(["report", "--fresh"], { now });
      expect(code).toBe(0);
      expect(stdout).toContain("| lesson-1 | adder | ◐ started | 0/2 | 1 | – | 2026-11-26 14:30 UTC |");
      expect(stdout).toContain(
        "| lesson-2 | rate limiter | ◆ solved (reference copied in) | 2/2 | 3 | – | 2026-11-26 14:30 UTC |",
      );
      expect(stdout).toContain(
        "- Results: re-run just now (lesson-1, lesson-2 hold the committed stub or the reference unchanged: their tests were counted, and npm run verify proves how they end)",
      );
      expect(JSON.parse((await workbook.run(["report", "--fresh", "--json"], { now })).stdout)).toMatchObject({
        results: "fresh",
        countedNotRun: ["lesson-1", "lesson-2"],
      });
    });

    it("counts no test again that a recorded count already covers", async () => {
      workbook = recorded();
      await workbook.run(["solve", "lesson-2", "--yes"]);
      const later = () => new Date(Date.now() + 60_000);
      const first = JSON.parse((await workbook.run(["report", "--fresh", "--json"], { now: later })).stdout);
      // vitest cannot even start now: the counts can only come from what the first report recorded.
      workbook.write("vitest.config.ts", 'throw new Error("vitest is not to be started");\n');
      const { code, stdout } = await workbook.run(["report", "--fresh", "--json"], { now: later });
      expect(code).toBe(0);
      expect(JSON.parse(stdout).lessons).toEqual(
        first.lessons.map((l: object) => ({ ...l, lastChecked: expect.any(String) })),
      );
      expect(
        JSON.parse(stdout).lessons.map((l: { passing: number; total: number }) => `${l.passing}/${l.total}`),
      ).toEqual(["0/2", "2/2"]);
    });

    it("forgets when a lesson passed once it no longer passes, as every check does", async () => {
      workbook = recorded();
      const state = JSON.parse(workbook.read(".workbook/state.json"));
      state.lessons["lesson-1"].startedAt = "2026-11-26T12:40:00.000Z";
      state.lessons["lesson-1"].passedAt = "2026-11-26T13:05:00.000Z";
      workbook.write(".workbook/state.json", JSON.stringify(state));
      // lesson-1 holds the committed stub: it fails every test.
      const report = JSON.parse((await workbook.run(["report", "--fresh", "--json"], { now })).stdout);
      expect(report.lessons[0]).toMatchObject({
        status: "started",
        passing: 0,
        total: 2,
        passedAt: null,
        minutes: 110,
      });
      expect(JSON.parse(workbook.read(".workbook/state.json")).lessons["lesson-1"].passedAt).toBeUndefined();
    });

    it("runs the tests of lessons the learner changed", async () => {
      workbook = recorded();
      workbook.write(
        "lessons/lesson-1-adder/adder.ts",
        "export function add(a: number, b: number): number {\n  return b + a;\n}\n",
      );
      workbook.write(
        "lessons/lesson-2-rate-limiter/limiter.ts",
        "export function allow(used: number, max: number): boolean {\n  return used <= max;\n}\n",
      );
      const { code, stdout } = await workbook.run(["report", "--fresh", "--json"], { now });
      expect(code).toBe(0);
      const report = JSON.parse(stdout);
      expect(report.countedNotRun).toEqual([]);
      expect(
        report.lessons.map((l: { status: string; passing: number; total: number }) => [l.status, l.passing, l.total]),
      ).toEqual([
        ["passed", 2, 2],
        ["started", 1, 2],
      ]);
    });

    it("runs a lesson whose test file changed, even with the stub untouched", async () => {
      workbook = recorded();
      workbook.write(
        "lessons/lesson-1-adder/adder.test.ts",
        'import { expect, it } from "vitest";\nit("is fine", () => expect(1).toBe(1));\n',
      );
      const report = JSON.parse((await workbook.run(["report", "--fresh", "--json"], { now })).stdout);
      expect(report.countedNotRun).toEqual(["lesson-2"]);
      expect(report.lessons[0]).toMatchObject({ status: "passed", passing: 1, total: 1 });
    });

    it("runs every lesson outside git, where nothing says what the committed stub is", async () => {
      workbook = createFixtureWorkbook(undefined, { git: false });
      const report = JSON.parse((await workbook.run(["report", "--fresh", "--json", "--name", "Ana"], { now })).stdout);
      expect(report.countedNotRun).toEqual([]);
      expect(report.lessons.map((l: { passing: number; total: number }) => `${l.passing}/${l.total}`)).toEqual([
        "0/2",
        "0/2",
      ]);
    });
  });
});
