import { readFileSync } from "node:fs";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { type CheckResult, summarize } from "../lib/check-lesson.ts";
import type { Context } from "../lib/context.ts";
import type { Lesson } from "../lib/lessons.ts";
import { createOutput } from "../lib/output.ts";
import { readState } from "../lib/state.ts";
import { type FixtureWorkbook, capture, cleanEnv, createFixtureWorkbook, references } from "../testing/fixture-workbook.ts";
import { type WatchEvent, type WatchOptions, type WatchSession, startWatch } from "./watch.ts";

let workbook: FixtureWorkbook;
let session: WatchSession | undefined;
afterEach(async () => {
  session?.stop();
  await session?.done;
  session = undefined;
  workbook?.remove();
});

const stub = "lessons/lesson-1-adder/adder.ts";

/** Starts a watch session and lets a test wait for the event it expects. */
function watchFixture(options: Partial<WatchOptions> = {}) {
  const stdout = capture();
  const stdin = Object.assign(new PassThrough(), { isTTY: false });
  const ctx: Context = { root: workbook.root, out: createOutput(stdout, capture(), cleanEnv()), env: cleanEnv(), stdin, now: () => new Date(), ask: async () => false };
  const events: WatchEvent[] = [];
  const waiters: { match: (event: WatchEvent) => boolean; resolve: (event: WatchEvent) => void }[] = [];
  session = startWatch(ctx, {
    poll: false,
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
  const verdict = (lessonId: string, passed: boolean) => next((e) => e.type === "verdict" && e.lesson.id === lessonId && e.result.passed === passed) as Promise<Extract<WatchEvent, { type: "verdict" }>>;
  return { session: session!, stdin, output: () => stdout.text(), next, verdict };
}

/** A stand-in for vitest: the lesson passes once its stub contains the reference's line. */
function fakeCheck(root: string, seen: string[][] = []) {
  return async (lesson: Lesson, changed: string[]): Promise<CheckResult> => {
    seen.push(changed);
    const content = readFileSync(`${root}/${lesson.dir}/${lesson.files[0]!.stub}`, "utf8");
    const written = /return (a \+ b|used < max);/.test(content);
    const test = { file: `${lesson.dir}/${lesson.tests[0]}`, name: "works", fullName: "works", status: written ? ("passed" as const) : ("failed" as const) };
    return summarize(lesson, { tests: [written ? test : { ...test, failure: { errorName: "AssertionError", message: "not yet" } }], fileErrors: [], logs: [] }, []);
  };
}

describe("npm start (watch mode)", () => {
  it("checks the current lesson, re-checks on save, shows the tests before the type-check is done, and moves on when it passes (real vitest)", async () => {
    workbook = createFixtureWorkbook();
    const watch = watchFixture();
    const first = await watch.verdict("lesson-1", false);
    expect(first.result.total).toBe(2);
    workbook.write(stub, references["solutions/adder.ts"]!);
    const tests = await watch.next((e) => e.type === "tests" && e.run.tests.every((t) => t.status === "passed"));
    expect(tests).toMatchObject({ lesson: { id: "lesson-1" } });
    await watch.verdict("lesson-1", true);
    await expect(watch.next((e) => e.type === "advanced")).resolves.toMatchObject({ from: { id: "lesson-1" }, to: { id: "lesson-2" } });
    await watch.verdict("lesson-2", false);
    expect(watch.output()).toContain("lesson-1 adder passed! On to lesson-2 rate limiter: Saying no politely. Read lessons/lesson-2-rate-limiter/README.md");
    expect(readState(workbook.root, () => {}).current).toBe("lesson-2");
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

  it("re-checks once for a burst of saves", async () => {
    workbook = createFixtureWorkbook();
    const seen: string[][] = [];
    const watch = watchFixture({ check: fakeCheck(workbook.root, seen), debounceMs: 200 });
    await watch.verdict("lesson-1", false);
    workbook.write(stub, "// one\n");
    workbook.write(stub, "// two\n");
    workbook.write(stub, references["solutions/adder.ts"]!);
    await watch.verdict("lesson-1", true);
    expect(seen).toHaveLength(2);
  });

  it("ends the session when the last lesson passes", async () => {
    workbook = createFixtureWorkbook();
    workbook.write("lessons/lesson-2-rate-limiter/limiter.ts", references["solutions/limiter.ts"]!);
    const watch = watchFixture({ check: fakeCheck(workbook.root) });
    await watch.verdict("lesson-1", false);
    workbook.write(stub, references["solutions/adder.ts"]!);
    await expect(watch.session.done).resolves.toBe(0);
    expect(watch.output()).toContain("All 2 lessons pass. Well done! npm run report shows your summary.");
  });

  it.each([
    ["h", "Hint 1 of 3 for lesson-1 adder:"],
    ["l", "Progress: 0 of 2 lessons done"],
  ])("answers the %s key", async (key, text) => {
    workbook = createFixtureWorkbook();
    const watch = watchFixture({ check: fakeCheck(workbook.root) });
    await watch.verdict("lesson-1", false);
    watch.stdin.write(key);
    await expect.poll(() => watch.output()).toContain(text);
    await expect.poll(() => watch.output().trimEnd().split("\n").pop()).toBe("Watching lessons/lesson-1-adder/ · save a file to re-run · h hint · l lessons · q quit");
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
});
