import { readFileSync } from "node:fs";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { type CheckResult, summarize } from "../check/check-lesson.ts";
import type { Context } from "../cli/context.ts";
import type { Env } from "../cli/env.ts";
import type { Lesson } from "../workbook/lessons.ts";
import { createOutput } from "../render/output.ts";
import { readState } from "../workbook/state-file.ts";
import {
  type FixtureWorkbook,
  capture,
  cleanEnv,
  createFixtureWorkbook,
  adderLesson,
  fixtureLesson,
  references,
} from "../../testing/fixture-workbook.ts";
import { type FakeEditor, fakeEditor } from "../../testing/fake-editor.ts";
import { type TestRoom, startSilentServer, startTestRoom } from "../../trainer/room/test-room.ts";
import { connectRoom } from "../room/connect.ts";
import { roomNotes } from "../room/notes.ts";
import { readMembership } from "../room/settings.ts";
import { type WatchEvent, type WatchOptions, type WatchSession, startWatch } from "./watch.ts";

// Watch mode driven as a learner drives it: files saved on disk, keys typed on stdin, and what it
// prints on stdout.

let workbook: FixtureWorkbook;
let session: WatchSession | undefined;
afterEach(async () => {
  session?.stop();
  await session?.done;
  session = undefined;
  workbook?.remove();
});

const stub = "lessons/lesson-1-adder/adder.ts";
const limiter = "lessons/lesson-2-rate-limiter/limiter.ts";
const footer =
  "Watching lessons/lesson-1-adder/ · n next · p previous · l lessons · h hint · e edit · r re-run · q quit";

/**
 * Starts a watch session and lets a test wait for the event it expects; `terminal`: stdin and
 * stdout are a TTY; `extra`: more of the context (a trainer's room).
 */
function watchFixture(
  options: Partial<WatchOptions> = {},
  env: Env = cleanEnv(),
  terminal = false,
  extra: Partial<Context> = {},
) {
  const stdout = capture(terminal);
  const rawModes: boolean[] = [];
  const stdin = Object.assign(new PassThrough(), {
    isTTY: terminal,
    ...(terminal && { setRawMode: (mode: boolean) => rawModes.push(mode) }),
  });
  const ctx: Context = {
    root: workbook.root,
    out: createOutput(stdout, capture(), env),
    env,
    stdin,
    now: () => new Date(),
    ask: async () => false,
    ...extra,
  };
  const events: WatchEvent[] = [];
  const waiters: { match: (event: WatchEvent) => boolean; resolve: (event: WatchEvent) => void }[] = [];
  session = startWatch(ctx, {
    poll: false,
    stateIntervalMs: 50,
    ...options,
    onEvent(event) {
      events.push(event);
      for (const waiter of waiters.filter((w) => w.match(event))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    },
  });
  const next = (match: (event: WatchEvent) => boolean) =>
    new Promise<WatchEvent>((resolve) => {
      const seen = events.find(match);
      if (seen) {
        events.splice(events.indexOf(seen), 1);
        resolve(seen);
      } else waiters.push({ match, resolve });
    });
  const verdict = (lessonId: string, passed: boolean) =>
    next((e) => e.type === "verdict" && e.lesson.id === lessonId && e.result.passed === passed) as Promise<
      Extract<WatchEvent, { type: "verdict" }>
    >;
  const lines = () => stdout.text().trimEnd().split("\n");
  return {
    session: session!,
    stdin,
    output: () => stdout.text(),
    lines,
    lastLine: () => lines().pop(),
    next,
    verdict,
    events,
    rawModes,
  };
}

/** A stand-in for vitest: the lesson passes once its stub contains the reference's line. */
function fakeCheck(root: string, seen: string[][] = []) {
  return async (lesson: Lesson, changed: string[]): Promise<CheckResult> => {
    seen.push(changed);
    const content = readFileSync(`${root}/${lesson.dir}/${lesson.files[0]!.stub}`, "utf8");
    const written = /return (a \+ b|used < max);/.test(content);
    const test = {
      file: `${lesson.dir}/${lesson.tests[0]}`,
      name: "works",
      fullName: "works",
      status: written ? ("passed" as const) : ("failed" as const),
    };
    return summarize(
      lesson,
      {
        tests: [written ? test : { ...test, failure: { errorName: "AssertionError", message: "not yet" } }],
        fileErrors: [],
        logs: [],
      },
      [],
    );
  };
}

describe("npm start (watch mode) with the real test runner", () => {
  it("says it is re-running, shows the verdict, and leaves the success as the last thing on screen", async () => {
    workbook = createFixtureWorkbook();
    const watch = watchFixture();
    const first = await watch.verdict("lesson-1", false);
    expect(first.result.total).toBe(2);
    expect(watch.output()).toContain(
      "lesson-1 adder · Adding two numbers\nEdit lessons/lesson-1-adder/adder.ts · read lessons/lesson-1-adder/README.md\n",
    );
    expect(watch.lastLine()).toBe(footer);
    workbook.write(stub, references["solutions/adder.ts"]!);
    await watch.next((e) => e.type === "rerunning");
    expect(watch.lastLine()).toBe("⟳ re-running lesson-1 adder (adder.ts saved)…");
    await watch.verdict("lesson-1", true);
    await watch.next((e) => e.type === "passed");
    expect(watch.lastLine()).toBe("lesson-1 adder passed — n for lesson-2 rate limiter");
    expect(readState(workbook.root, () => {}).current).toBe("lesson-2");
    // The next lesson waits for n: its failures never scroll the success away.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(watch.lastLine()).toBe("lesson-1 adder passed — n for lesson-2 rate limiter");
    watch.stdin.write("n");
    await watch.verdict("lesson-2", false);
    expect(watch.lastLine()).toBe(
      "Watching lessons/lesson-2-rate-limiter/ · n next · p previous · l lessons · h hint · e edit · r re-run · " +
        "q quit",
    );
  });

  it("runs exactly the file on disk after another terminal reset the lesson, never a copy it ran before", async () => {
    workbook = createFixtureWorkbook();
    await workbook.run(["solve", "lesson-2", "--yes"]);
    const watch = watchFixture({ lesson: "lesson-2" });
    await watch.verdict("lesson-2", true);
    await workbook.run(["reset", "lesson-2", "--yes"]);
    await watch.verdict("lesson-2", false);
    workbook.write(limiter, "export function allow(used: number, max: number): boolean {\n  return used <= max;\n}\n");
    const mine = await watch.next((e) => e.type === "verdict" && e.result.passing === 1 && e.result.total === 2);
    expect(mine.type).toBe("verdict");
    expect(watch.events.some((e) => e.type === "switched")).toBe(false);
  });

  it("recovers on the next save after an infinite loop stopped the tests", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(stub, "export function add(a: number, b: number): number {\n  while (true) {}\n}\n");
    const watch = watchFixture({}, cleanEnv({ WORKBOOK_TIMEOUT_MS: "3000" }));
    await watch.verdict("lesson-1", false);
    expect(watch.output()).toContain(
      "Stopped: “add › adds two numbers” did not finish within 3 s: probably an infinite loop in lessons/lesson-1-adder/adder.ts.",
    );
    expect(watch.lastLine()).toBe(footer);
    workbook.write(stub, references["solutions/adder.ts"]!);
    await watch.verdict("lesson-1", true);
  });

  it.each([
    [
      "an unhandled rejection",
      "  Promise.reject(new Error('nobody waits for me'));\n  return a + b;",
      "An unhandled promise rejection, outside any test:",
    ],
    ["a huge console output", "  console.log('x'.repeat(10_000_000));\n  return a + b;", "more output not shown"],
  ])("shows %s in brief, then recovers on the next save", async (_case, body, message) => {
    workbook = createFixtureWorkbook();
    workbook.write(stub, `export function add(a: number, b: number): number {\n${body}\n}\n`);
    const watch = watchFixture();
    await watch.next((e) => e.type === "verdict");
    expect(watch.output()).toContain(message);
    expect(watch.output().length).toBeLessThan(5000);
    workbook.write(stub, "export function add(a: number, b: number): number {\n  return a + b;\n}\n// fixed\n");
    await watch.next((e) => e.type === "verdict" && e.result.passed && e.result.logs.length === 0);
  });

  it("keeps the results of a test file a save cannot concern, and runs every one for r", async () => {
    workbook = createFixtureWorkbook([
      {
        ...adderLesson,
        manifest: { ...adderLesson.manifest, tests: ["adder.test.ts", "alone.test.ts"] },
        files: {
          ...adderLesson.files,
          "alone.test.ts": 'import { expect, it } from "vitest";\nit("stands alone", () => expect(1).toBe(1));\n',
        },
      },
    ]);
    const watch = watchFixture({}, cleanEnv({ WORKBOOK_TIMEOUT_MS: "60000" }));
    // The next run's tests, once what came before is out of the way.
    const tests = async () => {
      const event = (await watch.next((e) => e.type === "tests")) as Extract<WatchEvent, { type: "tests" }>;
      await watch.next((e) => e.type === "verdict");
      watch.events.splice(0);
      return event.run;
    };
    expect((await tests()).profile?.kept, "opening the lesson runs every test file").toBeUndefined();
    workbook.write(stub, "export function add(a: number, b: number): number {\n  return a - b;\n}\n");
    const saved = await tests();
    expect(saved.profile?.kept, "alone.test.ts reads nothing of adder.ts").toBe(1);
    expect(saved.tests.map((test) => `${test.name}: ${test.status}`).sort()).toEqual([
      "adds a negative number: failed",
      "adds two numbers: failed",
      "stands alone: passed",
    ]);
    watch.stdin.write("r");
    expect((await tests()).profile?.kept, "r runs every test file").toBeUndefined();
  });

  it("recovers on the next save after a test ran out of memory", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(
      stub,
      "export function add(a: number, b: number): number {\n  const all: number[][] = [];\n  for (;;) all.push(new Array(1e6).fill(1));\n}\n",
    );
    const watch = watchFixture({}, cleanEnv({ WORKBOOK_TIMEOUT_MS: "60000" }));
    await watch.verdict("lesson-1", false);
    expect(watch.output()).toContain(
      "Stopped: the tests of lessons/lesson-1-adder/adder.ts used more than 1024 MB of memory.",
    );
    workbook.write(stub, references["solutions/adder.ts"]!);
    await watch.verdict("lesson-1", true);
  });
});

describe("npm start (watch mode)", () => {
  it("starts on the lesson named", async () => {
    workbook = createFixtureWorkbook();
    const watch = watchFixture({ lesson: "rate-limiter", check: fakeCheck(workbook.root) });
    await watch.verdict("lesson-2", false);
    expect(watch.lines().slice(0, 3)).toEqual([
      "lesson-2 rate limiter · Saying no politely",
      "Edit lessons/lesson-2-rate-limiter/limiter.ts · read lessons/lesson-2-rate-limiter/README.md",
      "Checking lesson-2 rate limiter…",
    ]);
    expect(readState(workbook.root, () => {}).current).toBe("lesson-2");
  });

  it("switches to the lesson whose file was saved, and says so", async () => {
    workbook = createFixtureWorkbook();
    const watch = watchFixture({ check: fakeCheck(workbook.root) });
    await watch.verdict("lesson-1", false);
    workbook.write(limiter, "// started\n");
    await expect(watch.next((e) => e.type === "switched")).resolves.toMatchObject({
      from: { id: "lesson-1" },
      to: { id: "lesson-2" },
      reason: "save",
    });
    await watch.verdict("lesson-2", false);
    expect(watch.output()).toContain(`You saved ${limiter}: switching to lesson-2 rate limiter.\n`);
  });

  it("follows another terminal that moves the current lesson (npm run solve)", async () => {
    workbook = createFixtureWorkbook();
    const watch = watchFixture({ check: fakeCheck(workbook.root) });
    await watch.verdict("lesson-1", false);
    await workbook.run(["solve", "lesson-1", "--yes"]);
    await expect(watch.next((e) => e.type === "switched")).resolves.toMatchObject({
      to: { id: "lesson-2" },
      reason: "state",
    });
    await watch.verdict("lesson-2", false);
  });

  it("hears saves by polling when asked to", async () => {
    workbook = createFixtureWorkbook();
    const seen: string[][] = [];
    const watch = watchFixture({ poll: true, pollIntervalMs: 20, check: fakeCheck(workbook.root, seen) });
    await expect(watch.next((e) => e.type === "watching")).resolves.toMatchObject({ mode: "poll" });
    await watch.verdict("lesson-1", false);
    workbook.write(stub, references["solutions/adder.ts"]!);
    await watch.verdict("lesson-1", true);
    expect(seen[1]).toEqual([workbook.path(stub)]);
  });

  it("shows what the tests cannot see under a passing verdict, the success banner still last", async () => {
    workbook = createFixtureWorkbook();
    const note = { rule: "debugger" as const, location: `${stub}:2` };
    const check = fakeCheck(workbook.root);
    const withNote: WatchOptions["check"] = async (lesson, changed) => {
      const result = await check(lesson, changed);
      return result.passed ? { ...result, passesBut: [note] } : result;
    };
    const watch = watchFixture({ check: withNote });
    await watch.verdict("lesson-1", false);
    workbook.write(stub, references["solutions/adder.ts"]!);
    await watch.verdict("lesson-1", true);
    expect(watch.lines().slice(-5)).toEqual([
      "Passes, but…",
      `  ${stub}:2 a debugger statement is left in: it pauses the server wherever a debugger is attached. Remove it.`,
      "Next: npm run check lesson-2",
      footer,
      "lesson-1 adder passed — n for lesson-2 rate limiter",
    ]);
  });

  it("re-checks once for a burst of saves, saying once that it re-runs", async () => {
    workbook = createFixtureWorkbook();
    const seen: string[][] = [];
    const watch = watchFixture({ check: fakeCheck(workbook.root, seen), debounceMs: 200 });
    await watch.verdict("lesson-1", false);
    workbook.write(stub, "// one\n");
    workbook.write(stub, "// two\n");
    workbook.write(stub, references["solutions/adder.ts"]!);
    await watch.verdict("lesson-1", true);
    expect(seen).toHaveLength(2);
    expect(watch.output().match(/re-running/g)).toHaveLength(1);
  });

  it("ends the session with one message when the last lesson passes", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(limiter, references["solutions/limiter.ts"]!);
    await workbook.run(["solve", "lesson-2", "--yes"]);
    const watch = watchFixture({ lesson: "1", check: fakeCheck(workbook.root) });
    await watch.verdict("lesson-1", false);
    workbook.write(stub, references["solutions/adder.ts"]!);
    await expect(watch.session.done).resolves.toBe(0);
    expect(watch.lastLine()).toBe("All 2 lessons pass. Well done! npm run report shows your summary.");
  });

  it("moves to the next and previous lesson on n and p, and says when there is none", async () => {
    workbook = createFixtureWorkbook();
    const watch = watchFixture({ check: fakeCheck(workbook.root) });
    await watch.verdict("lesson-1", false);
    watch.stdin.write("p");
    await expect.poll(() => watch.output()).toContain("This is the first lesson: n goes on, l lists them all.");
    watch.stdin.write("n");
    await watch.verdict("lesson-2", false);
    watch.stdin.write("n");
    await expect.poll(() => watch.output()).toContain("This is the last lesson: p goes back, l lists them all.");
    watch.stdin.write("p");
    await watch.verdict("lesson-1", false);
  });

  it("lists the lessons on l and opens the one whose number is typed", async () => {
    workbook = createFixtureWorkbook();
    const watch = watchFixture({ check: fakeCheck(workbook.root) });
    await watch.verdict("lesson-1", false);
    watch.stdin.write("l");
    await expect
      .poll(() => watch.lastLine())
      .toBe("Type a lesson's number and Enter to open it, or Enter alone to stay.");
    expect(watch.lines()).toContain("   1 ○ lesson-1 adder         Adding two numbers ← watching");
    expect(watch.lines()).toContain("   2 ○ lesson-2 rate limiter  Saying no politely");
    watch.stdin.write("7\r");
    await expect.poll(() => watch.output()).toContain("There is no lesson 7: type a number from 1 to 2, then Enter.");
    watch.stdin.write("l2\r");
    await watch.verdict("lesson-2", false);
  });

  it("shows the next hint on h, wrapped at word boundaries, then the footer", async () => {
    const long =
      "Split the work in two: first count the requests of this window, then compare the count with the limit before answering.";
    const lesson = fixtureLesson(1, "adder");
    workbook = createFixtureWorkbook([
      {
        ...lesson,
        files: { ...lesson.files, "README.md": `# Lesson 1: adder\n\n## Hints\n\n1. ${long}\n2. b\n3. c\n` },
      },
    ]);
    const watch = watchFixture({ check: fakeCheck(workbook.root) });
    await watch.verdict("lesson-1", false);
    watch.stdin.write("h");
    await expect.poll(() => watch.lastLine()).toBe(footer);
    // 100 columns when stdout is not a terminal.
    expect(watch.output()).toContain(
      "Hint 1 of 3 for lesson-1 adder:\n  Split the work in two: first count the requests of this window, then compare the count with the\n  limit before answering.\n",
    );
    expect(readState(workbook.root, () => {}).lessons["lesson-1"]?.hintsUsed).toBe(1);
  });

  it("re-runs on r", async () => {
    workbook = createFixtureWorkbook();
    const seen: string[][] = [];
    const watch = watchFixture({ check: fakeCheck(workbook.root, seen) });
    await watch.verdict("lesson-1", false);
    watch.stdin.write("r");
    await watch.verdict("lesson-1", false);
    expect(seen).toEqual([[], []]);
  });

  it.each([
    ["q", "q"],
    ["Ctrl-C", "\u0003"],
  ])("quits cleanly on %s", async (_name, key) => {
    workbook = createFixtureWorkbook();
    const watch = watchFixture({ check: fakeCheck(workbook.root) });
    await watch.verdict("lesson-1", false);
    watch.stdin.write(key);
    await expect(watch.session.done).resolves.toBe(0);
  });

  it("says in one line that a check could not run, and runs again on the next save", async () => {
    workbook = createFixtureWorkbook();
    let calls = 0;
    const real = fakeCheck(workbook.root);
    const check = async (lesson: Lesson, changed: string[]) => {
      calls += 1;
      if (calls === 1) throw new Error("vitest could not run: the config is broken");
      return real(lesson, changed);
    };
    const watch = watchFixture({ check });
    await expect.poll(() => watch.lastLine()).toBe(footer);
    expect(watch.lines()).toContain(
      "The check could not run: vitest could not run: the config is broken. Save again to retry.",
    );
    workbook.write(stub, references["solutions/adder.ts"]!);
    await watch.verdict("lesson-1", true);
  });

  it("says in one line what a lesson needs installed, and keeps watching", async () => {
    const lesson = fixtureLesson(1, "adder");
    workbook = createFixtureWorkbook([
      { ...lesson, manifest: { ...lesson.manifest, requires: ["workbook-no-such-server"] } },
    ]);
    const watch = watchFixture({ check: fakeCheck(workbook.root) });
    await expect.poll(() => watch.lastLine()).toBe(footer);
    expect(watch.lines()).toContain(
      "lesson-1 adder needs workbook-no-such-server, which is not installed: install workbook-no-such-server so that it is on PATH, then npm run check lesson-1",
    );
    expect(watch.events.some((e) => e.type === "verdict")).toBe(false);
  });
});

describe.runIf(process.platform !== "win32")("e in watch mode: the learner's editor at the first failure", () => {
  let editor: FakeEditor | undefined;
  afterEach(() => {
    editor?.remove();
    editor = undefined;
  });

  const failingAt = { file: stub, line: 2, column: 10 };
  /** The fake check, its failure located in the stub at line 2. */
  function locatedCheck(root: string): WatchOptions["check"] {
    const check = fakeCheck(root);
    return async (lesson, changed) => {
      const result = await check(lesson, changed);
      const tests = result.tests.map((t) => (t.failure ? { ...t, failure: { ...t.failure, location: failingAt } } : t));
      return { ...result, tests };
    };
  }
  // No color even on a terminal, so that the tests read plain text.
  const editorEnv = (extra: Env = {}) =>
    cleanEnv({ VISUAL: undefined, EDITOR: undefined, TERM_PROGRAM: undefined, NO_COLOR: "1", ...extra });

  it("hands a terminal editor the terminal at the failure's line, draws nothing meanwhile, then redraws", async () => {
    workbook = createFixtureWorkbook();
    editor = fakeEditor("vim");
    const watch = watchFixture({ check: locatedCheck(workbook.root) }, editorEnv({ EDITOR: editor.command }), true);
    await watch.verdict("lesson-1", false);
    watch.stdin.write("e");
    expect(await editor.args()).toEqual(["+2", workbook.path(stub)]);
    expect(watch.rawModes, "raw mode off while the editor has the terminal").toEqual([true, false]);
    expect(watch.stdin.listenerCount("data"), "no key is read meanwhile").toBe(0);
    const shown = watch.output();
    // The learner saves in the editor: the lesson is re-run, and its verdict waits for the screen.
    workbook.write(stub, references["solutions/adder.ts"]!);
    await watch.verdict("lesson-1", true);
    expect(watch.output(), "nothing drawn over the editor").toBe(shown);
    editor.close();
    await watch.next((e) => e.type === "edited");
    expect(watch.rawModes).toEqual([true, false, true]);
    const redrawn = watch.output().slice(shown.length);
    expect(redrawn.startsWith("\u001b[H\u001b[2J"), "the whole screen drawn again").toBe(true);
    expect(watch.lastLine()).toBe("lesson-1 adder passed — n for lesson-2 rate limiter");
    watch.stdin.write("q");
    await expect(watch.session.done).resolves.toBe(0);
  });

  it("starts a graphical editor on its own and keeps answering keys while it is open", async () => {
    workbook = createFixtureWorkbook();
    editor = fakeEditor("code");
    const watch = watchFixture({ check: locatedCheck(workbook.root) }, editorEnv({ EDITOR: editor.command }), true);
    await watch.verdict("lesson-1", false);
    watch.stdin.write("e");
    expect(await editor.args()).toEqual(["-g", `${workbook.path(stub)}:2:10`]);
    await watch.next((e) => e.type === "edited");
    expect(watch.output()).toContain(`Opening ${stub}:2 in code.`);
    watch.stdin.write("h");
    await expect.poll(() => watch.output()).toContain("Hint 1 of 3");
    expect(watch.rawModes, "the terminal was never handed over").toEqual([true]);
  });

  it.each([
    ["no editor is set", editorEnv(), `Open ${stub}:2 in your editor: no $VISUAL or $EDITOR is set`],
    [
      "the editor needs a terminal and this is not one",
      editorEnv({ EDITOR: "vim" }),
      `vim (from $EDITOR) runs in a terminal, and this is not one: open ${stub}:2 yourself.`,
    ],
  ])("names the file and line when %s", async (_case, env, line) => {
    workbook = createFixtureWorkbook();
    const watch = watchFixture({ check: locatedCheck(workbook.root) }, env);
    await watch.verdict("lesson-1", false);
    watch.stdin.write("e");
    await expect.poll(() => watch.output()).toContain(line);
  });

  it("takes the terminal back and says so when the editor cannot be started", async () => {
    workbook = createFixtureWorkbook();
    const env = editorEnv({ EDITOR: "/no/such/folder/vim" });
    const watch = watchFixture({ check: locatedCheck(workbook.root) }, env, true);
    await watch.verdict("lesson-1", false);
    watch.stdin.write("e");
    await watch.next((e) => e.type === "edited");
    expect(watch.rawModes).toEqual([true, false, true]);
    expect(watch.output()).toContain(
      `vim (from $EDITOR) could not be started (spawn /no/such/folder/vim ENOENT): open ${stub}:2 yourself.`,
    );
    expect(watch.stdin.listenerCount("data"), "keys are read again").toBe(1);
  });

  it("opens at the top of the stub while the first check is still running", async () => {
    workbook = createFixtureWorkbook();
    editor = fakeEditor("nano");
    let release!: () => void;
    const running = new Promise<void>((resolve) => (release = resolve));
    const check = locatedCheck(workbook.root)!;
    const slow: WatchOptions["check"] = async (lesson, changed, onTests) => {
      await running;
      return check(lesson, changed, onTests);
    };
    const watch = watchFixture({ check: slow }, editorEnv({ EDITOR: editor.command }), true);
    watch.stdin.write("e");
    expect(await editor.args()).toEqual(["+1", workbook.path(stub)]);
    editor.close();
    await watch.next((e) => e.type === "edited");
    release();
    await watch.verdict("lesson-1", false);
  });

  it("ends a workbook finished while the editor is open only once the editor is closed", async () => {
    workbook = createFixtureWorkbook();
    await workbook.run(["solve", "lesson-2", "--yes"]);
    editor = fakeEditor("nano");
    const watch = watchFixture({ check: locatedCheck(workbook.root) }, editorEnv({ EDITOR: editor.command }), true);
    await watch.verdict("lesson-1", false);
    watch.stdin.write("e");
    await editor.args();
    workbook.write(stub, references["solutions/adder.ts"]!);
    await watch.verdict("lesson-1", true);
    let ended = false;
    void watch.session.done.then(() => (ended = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ended, "the editor still has the terminal").toBe(false);
    editor.close();
    await expect(watch.session.done).resolves.toBe(0);
    expect(watch.rawModes, "the terminal is left as it was found").toEqual([true, false, true, false]);
  });
});

describe("npm start in a trainer's room", () => {
  let room: TestRoom | undefined;
  afterEach(async () => {
    await room?.remove();
    room = undefined;
  });

  const noteFooter = footer.replace(" · q quit", " · d dismiss note · q quit");

  it("shows the trainer's note within 2 s, above the footer, until d dismisses it for good", async () => {
    workbook = createFixtureWorkbook();
    room = await startTestRoom();
    const reporter = await connectRoom({ root: workbook.root, env: {}, room: room.joinUrl, name: "Ana" });
    const watch = watchFixture({ check: fakeCheck(workbook.root) }, cleanEnv(), false, { room: reporter!.notes });
    await watch.verdict("lesson-1", false);
    expect(watch.lastLine()).toBe(footer);
    const ana = readMembership(workbook.root)!;
    const sentAt = performance.now();
    const sent = await fetch(`${room.origin}/notes?key=${room.store.trainerKey}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ to: ana.id, text: "Ana, look at line 2" }),
    });
    expect(sent.status).toBe(201);
    await watch.next((e) => e.type === "notes" && e.notes.length === 1);
    expect(performance.now() - sentAt).toBeLessThan(2000);
    expect(watch.lines().slice(-3)).toEqual(["", "✉ From the trainer: Ana, look at line 2", noteFooter]);
    // Other input goes on as before, the note staying on screen.
    watch.stdin.write("r");
    await watch.verdict("lesson-1", false);
    expect(watch.lastLine()).toBe(noteFooter);

    watch.stdin.write("d");
    await watch.next((e) => e.type === "notes" && e.notes.length === 0);
    expect(watch.lastLine()).toBe(footer);
    await expect.poll(() => room!.store.noteViews().notes[0]?.dismissed).toBe(1);
    watch.session.stop();
    // The next check hears of no note.
    const { stdout } = await workbook.run(["check", "lesson-1"]);
    expect(stdout).toContain("lesson-1 adder: 0/2 tests passing");
    expect(stdout).not.toContain("Ana, look at line 2");
  });

  it("keeps working, undisturbed, beside a room that never answers", async () => {
    workbook = createFixtureWorkbook();
    const silent = await startSilentServer();
    try {
      const notes = roomNotes(() => ({ joinUrl: `${silent.origin}/join/abcdefgh`, id: "x", secret: "y", name: "A" }));
      const watch = watchFixture({ check: fakeCheck(workbook.root) }, cleanEnv(), false, { room: notes });
      await watch.verdict("lesson-1", false);
      const started = performance.now();
      watch.stdin.write("r");
      await watch.verdict("lesson-1", false);
      expect(performance.now() - started).toBeLessThan(500);
      // No note on screen: d does nothing.
      watch.stdin.write("d");
      expect(watch.events.filter((e) => e.type === "notes")).toEqual([]);
      await expect.poll(() => silent.requests()).toBeGreaterThan(0);
    } finally {
      await silent.close();
    }
  });
});
