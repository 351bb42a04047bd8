import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PassThrough } from "node:stream";
import { findRoot, main } from "./cli.ts";
import { readState } from "./learner/workbook/state-file.ts";
import { startTestRoom } from "./trainer/room/test-room.ts";
import {
  type FixtureWorkbook,
  capture,
  cleanEnv,
  createFixtureWorkbook,
  projectRoot,
  runCli,
} from "./testing/fixture-workbook.ts";

let workbook: FixtureWorkbook;
afterEach(() => workbook?.remove());

const lessonList = "Lessons: lesson-1 adder, lesson-2 rate limiter.";
const commandList = "Commands: check, watch, open, hint, progress, diff, reset, solve, verify, mistake, report.";

describe("the workbook CLI", () => {
  it.each([
    [["hint", "lesson-9"], `Unknown lesson "lesson-9". ${lessonList}\n`],
    [["hint", "7"], `Unknown lesson "7". ${lessonList}\n`],
    [["diff", "cache"], `Unknown lesson "cache". ${lessonList}\n`],
  ])("answers %j with one line listing the lessons and exit code 2", async (argv, stderr) => {
    workbook = createFixtureWorkbook();
    expect(await workbook.run(argv)).toEqual({ code: 2, stdout: "", stderr });
  });

  it.each([
    [["hint", "lesson-2"], "Hint 1 of 3 for lesson-2 rate limiter:"],
    [["hint", "2"], "Hint 1 of 3 for lesson-2 rate limiter:"],
    [["hint", "rate limiter"], "Hint 1 of 3 for lesson-2 rate limiter:"],
    [["hint", "rate-limiter"], "Hint 1 of 3 for lesson-2 rate limiter:"],
  ])("accepts %j as a lesson", async (argv, firstLine) => {
    workbook = createFixtureWorkbook();
    const { code, stdout } = await workbook.run(argv);
    expect(code).toBe(0);
    expect(stdout.split("\n")[0]).toBe(firstLine);
  });

  it.each([
    [["explode"], `Unknown command "explode". ${commandList}\n`],
    [[], `No command given. ${commandList}\n`],
    [
      ["check", "--fast"],
      'Unknown option --fast. Usage: npm run check [lesson] [--json] [--room <join link> --name "Ana"]\n',
    ],
    [["progress", "lesson-1"], 'Unexpected argument "lesson-1". Usage: npm run progress\n'],
  ])("answers %j with one line and exit code 2", async (argv, stderr) => {
    workbook = createFixtureWorkbook();
    expect(await workbook.run(argv)).toEqual({ code: 2, stdout: "", stderr });
  });

  it("prints a command's usage for --help", async () => {
    workbook = createFixtureWorkbook();
    expect(await workbook.run(["solve", "--help"])).toEqual({
      code: 0,
      stdout: "Usage: npm run solve [lesson] [--through lesson-N] [--yes]\n",
      stderr: "",
    });
  });

  it("turns an unexpected failure into one line that says how to see the details", async () => {
    workbook = createFixtureWorkbook();
    const missing = path.join(workbook.root, "nowhere");
    const { code, stdout, stderr } = await runCli(missing, ["progress"]);
    expect(code).toBe(70);
    expect(stdout).toBe("");
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/^The workbook CLI failed: ENOENT.*Run with WORKBOOK_DEBUG=1 for details\.\n$/);
  });

  it("adds the stack trace when WORKBOOK_DEBUG is set", async () => {
    workbook = createFixtureWorkbook();
    const missing = path.join(workbook.root, "nowhere");
    const { stderr } = await runCli(missing, ["progress"], { env: cleanEnv({ WORKBOOK_DEBUG: "1" }) });
    expect(stderr).toMatch(/\n\s+at /);
  });

  it("says when there are no lessons at all", async () => {
    workbook = createFixtureWorkbook([]);
    expect(await workbook.run(["progress"])).toEqual({
      code: 1,
      stdout: "",
      stderr: "No lessons found: lessons/ holds no lesson-N-*/lesson.json.\n",
    });
  });

  it("warns in one line about a lesson folder it cannot use, and carries on", async () => {
    workbook = createFixtureWorkbook();
    workbook.write("lessons/lesson-3-broken/README.md", "# not yet\n");
    const { code, stderr } = await workbook.run(["progress"]);
    expect(code).toBe(0);
    expect(stderr).toBe("Warning: skipping lessons/lesson-3-broken: has no lesson.json\n");
  });
});

describe("a damaged .workbook folder", () => {
  const damage: [string, (workbook: FixtureWorkbook) => void][] = [
    [".workbook as a file", (w) => w.write(".workbook", "oops")],
    ["state.json as a folder", (w) => w.write(".workbook/state.json/inside", "oops")],
    [
      "state.json corrupt a second time",
      (w) => (w.write(".workbook/state.json.corrupt", "{ first"), w.write(".workbook/state.json", "{ second")),
    ],
  ];

  it.each(damage)("never stops a command: %s", async (_case, damageIt) => {
    workbook = createFixtureWorkbook();
    damageIt(workbook);
    for (const argv of [["progress"], ["hint", "1"], ["diff", "1"], ["reset", "1", "--yes"], ["solve", "1", "--yes"]]) {
      const { code, stderr } = await workbook.run(argv);
      expect({ argv, code }).toEqual({ argv, code: 0 });
      expect(stderr).not.toContain("The workbook CLI failed");
    }
    expect(readState(workbook.root, () => {}).lessons["lesson-1"]).toMatchObject({ hintsUsed: 1, solved: true });
  });

  it("keeps every corrupt copy of the state", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(".workbook/state.json.corrupt", "{ first");
    workbook.write(".workbook/state.json", "{ second");
    const { stderr } = await workbook.run(["progress"]);
    expect(stderr).toBe(
      "Warning: .workbook/state.json was unreadable, so progress starts afresh (kept as .workbook/state.json.corrupt-2; your lesson files are untouched).\n",
    );
    expect([workbook.read(".workbook/state.json.corrupt"), workbook.read(".workbook/state.json.corrupt-2")]).toEqual([
      "{ first",
      "{ second",
    ]);
  });
});

describe("the command line", () => {
  it("ends quietly, saying nothing on stderr, when its output meets a closed pipe", async () => {
    workbook = createFixtureWorkbook();
    const closed = Object.assign(new Error("write EPIPE"), { code: "EPIPE" });
    const stdout = {
      write: () => {
        throw closed;
      },
    };
    const stderr = capture();
    const stdin = Object.assign(new PassThrough(), { isTTY: false });
    const code = await main(["progress"], { root: workbook.root, stdout, stderr, stdin, env: cleanEnv() });
    expect({ code, stderr: stderr.text() }).toEqual({ code: 0, stderr: "" });
  });

  it("ends quietly when the reader of its output goes away (npm run check | head -1)", () => {
    workbook = createFixtureWorkbook();
    const launcher = path.join(projectRoot, "checks/launch.mjs");
    // `true` exits at once: every line the check prints meets a closed pipe.
    const run = spawnSync("sh", ["-c", `"${process.execPath}" "${launcher}" check lesson-1 | true`], {
      cwd: workbook.root,
      env: cleanEnv({ WORKBOOK_ROOT: workbook.root }) as NodeJS.ProcessEnv,
      encoding: "utf8",
    });
    expect(run.stderr).toBe("");
  });
});

describe("status listeners", () => {
  it("hear how a lesson stands after a command changes it", async () => {
    workbook = createFixtureWorkbook();
    const statuses: unknown[] = [];
    await workbook.run(["hint", "2"], { onStatus: (status) => statuses.push(status) });
    expect(statuses).toEqual([
      expect.objectContaining({ event: "hint", lesson: "lesson-2", hintsUsed: 1, status: "started" }),
    ]);
  });
});

describe("findRoot", () => {
  it("finds the workbook from a folder inside it", () => {
    workbook = createFixtureWorkbook();
    expect(findRoot(workbook.path("lessons/lesson-1-adder"), "/fallback")).toBe(workbook.root);
  });

  it("falls back when no folder above is a workbook", () => {
    expect(findRoot(path.parse(process.cwd()).root, "/fallback")).toBe("/fallback");
  });

  it("reports a verdict to the room it joins with --room and --name, and remembers the room for the next command", async () => {
    workbook = createFixtureWorkbook();
    const room = await startTestRoom();
    try {
      const joined = await workbook.run(["hint", "lesson-2", "--room", room.joinUrl, "--name", "Ana"]);
      expect(joined.code).toBe(0);
      expect(joined.stdout).toContain("Joined the room at");
      const [ana] = room.store.list();
      expect(ana).toMatchObject({ name: "Ana", lessons: { "lesson-2": { hintsUsed: 1 } } });
      expect(await workbook.run(["hint", "lesson-2"])).toMatchObject({ code: 0 });
      expect(room.store.list()[0]).toMatchObject({ id: ana!.id, lessons: { "lesson-2": { hintsUsed: 2 } } });
    } finally {
      await room.remove();
    }
  });

  it("keeps a learner's failing test in the room through their hints, and shows a copied reference as ◆", async () => {
    workbook = createFixtureWorkbook();
    const room = await startTestRoom();
    try {
      await workbook.run(["check", "lesson-1", "--room", room.joinUrl, "--name", "Ana"]);
      await workbook.run(["hint", "lesson-1"]);
      await workbook.run(["hint", "lesson-1"]);
      const lesson = () => room.store.list()[0]!.lessons["lesson-1"]!;
      expect(lesson()).toMatchObject({ event: "hint", hintsUsed: 2, failingTest: "add › adds two numbers" });
      workbook.write("lessons/lesson-1-adder/adder.ts", workbook.read("solutions/adder.ts"));
      await workbook.run(["check", "lesson-1"]);
      expect(lesson()).toMatchObject({ event: "check", status: "solved", solvedByCopy: true, passing: 2, total: 2 });
    } finally {
      await room.remove();
    }
  });
});
