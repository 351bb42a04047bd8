import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { type TestRoom, startSilentServer, startTestRoom } from "../../trainer/room/test-room.ts";
import { readMembership, saveMembership } from "../room/settings.ts";
import { readState } from "../workbook/state-file.ts";
import { type FixtureWorkbook, adderLesson, cleanEnv, createFixtureWorkbook } from "../../testing/fixture-workbook.ts";
import type { CheckJson } from "./check.ts";

// These run the real thing on a fixture workbook: vitest through the test host, and the
// TypeScript 7 type-checker. About a second each.

let workbook: FixtureWorkbook;
afterEach(() => workbook?.remove());

const stub = "lessons/lesson-1-adder/adder.ts";
const lastLine = (text: string) => text.trimEnd().split("\n").pop();

describe("npm run check", () => {
  it("on the untouched stub: ✗ per test, what is not written yet, progress, and one next action", async () => {
    workbook = createFixtureWorkbook();
    const { code, stdout, stderr } = await workbook.run(["check", "lesson-1"]);
    expect({ code, stderr }).toEqual({ code: 1, stderr: "" });
    expect(stdout).toBe(
      [
        "lesson-1 adder · Adding two numbers",
        "Edit lessons/lesson-1-adder/adder.ts · read lessons/lesson-1-adder/README.md",
        "",
        "  ✗ add › adds two numbers",
        "  ✗ add › adds a negative number",
        "",
        "First failure: add › adds two numbers",
        "  Not written yet: add in lessons/lesson-1-adder/adder.ts",
        "",
        "lesson-1 adder: 0/2 tests passing · 0 of 2 lessons done",
        "Next: make “adds two numbers” pass in lessons/lesson-1-adder/adder.ts",
        "",
      ].join("\n"),
    );
    expect(readState(workbook.root, () => {})).toMatchObject({
      current: "lesson-1",
      lessons: { "lesson-1": { passed: false, testsPassing: 0, testsTotal: 2 } },
    });
  });

  it("explains a failed assertion: the message, expected and received, where, and which file to edit", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(stub, "export function add(a: number, b: number): number {\n  return a + Math.abs(b);\n}\n");
    const { code, stdout } = await workbook.run(["check", "adder"]);
    expect(code).toBe(1);
    expect(stdout).toContain("  ✓ add › adds two numbers\n  ✗ add › adds a negative number\n");
    expect(stdout).toContain(
      "First failure: add › adds a negative number\n  expected 5 to be -1 // Object.is equality\n",
    );
    expect(stdout).toMatch(/- Expected\s+\n?.*\+ Received/s);
    expect(stdout).toContain("  at lessons/lesson-1-adder/adder.test.ts:9:");
    expect(stdout).toContain("    9 │ expect(add(2, -3)).toBe(-1);");
    expect(stdout).toContain("  Edit lessons/lesson-1-adder/adder.ts\n");
    expect(stdout).toContain("lesson-1 adder: 1/2 tests passing · 0 of 2 lessons done\n");
    expect(lastLine(stdout)).toBe("Next: make “adds a negative number” pass in lessons/lesson-1-adder/adder.ts");
  });

  it("shows control, escape and direction characters from the learner's code as visible escapes", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(
      stub,
      'export function add(a: number, b: number): number {\n  console.log("\\u001b[2Jwiped \\u202Eexe.txt");\n  return a - b;\n}\n',
    );
    workbook.write(
      "lessons/lesson-1-adder/adder.test.ts",
      'import { expect, it } from "vitest";\nimport { add } from "./adder";\n\nit("rejects a name that reads backwards", () => {\n  expect(add(2, 3), "expected \\"Ada\\u202Eexe.txt\\" to be rejected").toBe(5);\n});\n',
    );
    const { stdout } = await workbook.run(["check", "lesson-1"]);
    expect(stdout).toContain('expected "Ada\\u202Eexe.txt" to be rejected');
    expect(stdout).toContain("  \\x1B[2Jwiped \\u202Eexe.txt");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what must not reach the screen.
    expect(stdout).not.toMatch(/[\u001b\u202e]/);
  });

  it("says the test process was ended by the learner's code, pointing at their file, not at vitest's", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(
      stub,
      "(process as unknown as { reallyExit(code: number): void }).reallyExit(0);\nexport function add(a: number, b: number): number {\n  return a + b;\n}\n",
    );
    const { code, stdout } = await workbook.run(["check", "lesson-1"]);
    expect(code).toBe(1);
    expect(stdout).toContain("Stopped: the test process was ended by the code under test, before the tests finished.");
    expect(stdout).not.toContain("node_modules");
    expect(lastLine(stdout)).toBe(
      "Next: remove the call that ends the process (process.exit) from lessons/lesson-1-adder/adder.ts, then npm run check lesson-1",
    );
  });

  it("checks the lesson whose folder it was run from when no lesson is named", async () => {
    workbook = createFixtureWorkbook();
    const { stdout } = await workbook.run(["check"], { cwd: workbook.path("lessons/lesson-2-rate-limiter") });
    expect(stdout).toContain("lesson-2 rate limiter: 0/2 tests passing");
  });

  it("shows a syntax error as the compiler's message at file:line, with no stack trace", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(stub, "export function add(a: number, b: number): number {\n  return a +;\n}\n");
    const { code, stdout } = await workbook.run(["check", "lesson-1"]);
    expect(code).toBe(1);
    expect(stdout).toContain("Syntax error at lessons/lesson-1-adder/adder.ts:2:13\n  Expression expected.\n");
    expect(stdout).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
    expect(lastLine(stdout)).toBe("Next: fix the syntax error at lessons/lesson-1-adder/adder.ts:2:13");
  });

  it("fails on a type error even when every test passes", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(
      stub,
      "export function add(a: number, b: number): number {\n  const sum: string = a + b;\n  return sum as unknown as number;\n}\n",
    );
    const { code, stdout } = await workbook.run(["check", "lesson-1"]);
    expect(code).toBe(1);
    expect(stdout).toContain("  ✓ add › adds two numbers\n  ✓ add › adds a negative number\n");
    expect(stdout).toContain(
      "Type error at lessons/lesson-1-adder/adder.ts:2:9\n  Type 'number' is not assignable to type 'string'.",
    );
    expect(lastLine(stdout)).toBe("Next: fix the type error at lessons/lesson-1-adder/adder.ts:2:9");
  });

  it("passes and exits 0 once every test passes, pointing to the next lesson", async () => {
    workbook = createFixtureWorkbook();
    await workbook.run(["solve", "lesson-1", "--yes"]);
    const { code, stdout } = await workbook.run(["check", "lesson-1"]);
    expect(code).toBe(0);
    expect(stdout).toContain("  ✓ add › adds two numbers\n  ✓ add › adds a negative number\n");
    expect(stdout).toContain("lesson-1 adder: 2/2 tests passing · 1 of 2 lessons done\n");
    expect(lastLine(stdout)).toBe("Next: npm run check lesson-2");
  });

  it("with no lesson named, checks the current lesson and, when it passes, makes the next one current", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(stub, "export function add(a: number, b: number): number {\n  return a + b;\n}\n");
    const { code, stdout } = await workbook.run(["check"]);
    expect(code).toBe(0);
    expect(stdout).toContain(
      "lesson-1 passed. Your current lesson is now lesson-2 rate limiter: read lessons/lesson-2-rate-limiter/README.md\n",
    );
    expect(lastLine(stdout)).toBe("Next: npm run check lesson-2");
    expect(readState(workbook.root, () => {}).current).toBe("lesson-2");
  });

  it("--json prints one JSON object and nothing else", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(
      stub,
      "export function add(a: number, b: number): number {\n  const x: string = 1;\n  return a + Math.abs(b);\n}\n",
    );
    const { code, stdout, stderr } = await workbook.run(["check", "lesson-1", "--json"]);
    expect({ code, stderr }).toEqual({ code: 1, stderr: "" });
    expect(stdout.endsWith("}\n")).toBe(true);
    const json = JSON.parse(stdout) as CheckJson;
    expect(json).toEqual({
      lesson: "lesson-1",
      passed: false,
      tests: [
        { name: "add › adds two numbers", status: "passed" },
        {
          name: "add › adds a negative number",
          status: "failed",
          message: "expected 5 to be -1 // Object.is equality",
          location: expect.stringMatching(/^lessons\/lesson-1-adder\/adder\.test\.ts:9:\d+$/),
        },
      ],
      typeErrors: [
        {
          file: stub,
          line: 2,
          column: 9,
          code: "TS2322",
          message: "Type 'number' is not assignable to type 'string'.",
        },
      ],
      problems: [],
      diagnosis: null,
      passesBut: [],
      next: "make “adds a negative number” pass in lessons/lesson-1-adder/adder.ts",
      trainerNotes: [],
    });
  });

  it("adds what the tests cannot see under a pass, keeps exit code 0 and the next action last", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(
      stub,
      'export function add(a: number, b: any): number {\n  console.log("adding", a, b);\n  return a + b;\n}\n',
    );
    const { code, stdout } = await workbook.run(["check", "lesson-1"]);
    expect(code, "a note never changes the verdict").toBe(0);
    expect(stdout).toContain(
      [
        "lesson-1 adder: 2/2 tests passing · 1 of 2 lessons done",
        "Passes, but…",
        "  lessons/lesson-1-adder/adder.ts:1 any in the signature of add(): what goes in or comes out there is not " +
          "type-checked, so a wrong call compiles. Name the type (or use unknown and narrow it).",
        "  lessons/lesson-1-adder/adder.ts:2 console.log is left in: it prints on every call, in production too. " +
          "Remove it once you are done debugging.",
      ].join("\n"),
    );
    expect(lastLine(stdout)).toBe("Next: npm run check lesson-2");
  });

  it("--json carries the notes of a pass as passesBut, each with its rule, message and location", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(stub, "export function add(a: number, b: number): number {\n  debugger;\n  return a + b;\n}\n");
    const { code, stdout } = await workbook.run(["check", "lesson-1", "--json"]);
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as CheckJson).passesBut).toEqual([
      {
        rule: "debugger",
        message: "a debugger statement is left in: it pauses the server wherever a debugger is attached. Remove it.",
        location: "lessons/lesson-1-adder/adder.ts:2",
      },
    ]);
  });

  it("notes nothing on a failing check, whatever the file holds", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(stub, "export function add(a: number, b: number): number {\n  debugger;\n  return a - b;\n}\n");
    const { code, stdout } = await workbook.run(["check", "lesson-1", "--json"]);
    expect(code).toBe(1);
    expect((JSON.parse(stdout) as CheckJson).passesBut).toEqual([]);
    expect((await workbook.run(["check", "lesson-1"])).stdout).not.toContain("Passes, but");
  });

  it("explains an error outside any test, such as a beforeAll that throws", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(
      "lessons/lesson-1-adder/adder.test.ts",
      'import { beforeAll, expect, it } from "vitest";\nimport { add } from "./adder";\n\nbeforeAll(() => {\n  throw new Error("the database is not there");\n});\nit("adds", () => expect(add(1, 2)).toBe(3));\n',
    );
    const { code, stdout } = await workbook.run(["check", "lesson-1"]);
    expect(code).toBe(1);
    expect(stdout).toContain(
      "lessons/lesson-1-adder/adder.test.ts could not run:\n  the database is not there\n  at lessons/lesson-1-adder/adder.test.ts:5:9\n",
    );
    expect(lastLine(stdout)).toBe(
      "Next: fix the error that stops lessons/lesson-1-adder/adder.test.ts from running, at lessons/lesson-1-adder/adder.test.ts:5:9",
    );
  });

  it("says which file is missing and how to get it back", async () => {
    workbook = createFixtureWorkbook();
    rmSync(workbook.path(stub));
    expect(await workbook.run(["check", "lesson-1"])).toEqual({
      code: 1,
      stdout: "",
      stderr: "lessons/lesson-1-adder/adder.ts is missing: restore with npm run reset lesson-1\n",
    });
  });
});

describe("npm run check on learner code that misbehaves", () => {
  const fn = (body: string) => `export function add(a: number, b: number): number {\n${body}\n}\n`;
  const withTimeout = (ms: number) => ({ env: cleanEnv({ WORKBOOK_TIMEOUT_MS: String(ms) }) });

  it.each([
    [
      "an infinite loop in a tested function",
      fn("  while (true) {}"),
      [
        "Stopped: “add › adds two numbers” did not finish within 3 s: probably an infinite loop in lessons/lesson-1-adder/adder.ts.",
      ],
      "Next: find the loop in lessons/lesson-1-adder/adder.ts that never ends, then npm run check lesson-1",
    ],
    [
      "an infinite loop at import time",
      `while (true) {}\n${fn("  return a + b;")}`,
      [
        "Stopped: lessons/lesson-1-adder/adder.test.ts did not finish loading within 3 s: probably an infinite loop in lessons/lesson-1-adder/adder.ts.",
        "  Code outside any function runs as soon as the file is imported, before any test.",
      ],
      "Next: find the loop in lessons/lesson-1-adder/adder.ts that never ends, then npm run check lesson-1",
    ],
  ])("stops %s with one clear message and exit code 1", async (_case, content, message, next) => {
    workbook = createFixtureWorkbook();
    workbook.write(stub, content);
    const { code, stdout } = await workbook.run(["check", "lesson-1"], withTimeout(3000));
    expect(code).toBe(1);
    expect(stdout).toContain(`${message.join("\n")}\n`);
    expect(stdout).toContain("lesson-1 adder: stopped before the tests finished · 0 of 2 lessons done\n");
    expect(stdout).not.toMatch(/tests passing/);
    expect(lastLine(stdout)).toBe(next);
  });

  it("says a test ran out of memory, naming the lesson file", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(stub, fn("  const all: number[][] = [];\n  for (;;) all.push(new Array(1e6).fill(1));"));
    const { code, stdout } = await workbook.run(["check", "lesson-1"], withTimeout(60_000));
    expect(code).toBe(1);
    expect(stdout).toContain(
      "Stopped: the tests of lessons/lesson-1-adder/adder.ts used more than 1024 MB of memory.\n",
    );
    expect(lastLine(stdout)).toBe(
      "Next: find what keeps growing in lessons/lesson-1-adder/adder.ts, then npm run check lesson-1",
    );
  });

  it("shows 20 lines at most of a huge console output, and says how much was cut", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(stub, fn("  console.log('x'.repeat(10_000_000));\n  return a + b;"));
    const { code, stdout } = await workbook.run(["check", "lesson-1"]);
    expect(code).toBe(0);
    expect(stdout.length).toBeLessThan(4000);
    expect(stdout).toMatch(/\n {2}… 1 more line, 19\.\d MB more output not shown\n/);
  });

  it("reports an unhandled rejection as what it is, at the learner's line, and never as N/N passing", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(stub, fn("  Promise.reject(new Error('nobody waits for me'));\n  return a + b;"));
    const { code, stdout } = await workbook.run(["check", "lesson-1"]);
    expect(code).toBe(1);
    expect(stdout).toContain(
      "An unhandled promise rejection, outside any test:\n  nobody waits for me\n  at lessons/lesson-1-adder/adder.ts:2:18\n",
    );
    expect(stdout).toContain(
      "lesson-1 adder: not passing, an error was thrown outside any test · 0 of 2 lessons done\n",
    );
    expect(stdout).not.toMatch(/\d+\/\d+ tests passing|could not run/);
    expect(lastLine(stdout)).toBe("Next: handle the error at lessons/lesson-1-adder/adder.ts:2:18");
    expect(readState(workbook.root, () => {}).lessons["lesson-1"]).toMatchObject({ passed: false });
  });

  it("names a missing executable the lesson needs, and how to install it, with exit code 2", async () => {
    workbook = createFixtureWorkbook([
      { ...adderLesson, manifest: { ...adderLesson.manifest, requires: ["workbook-no-such-server"] } },
    ]);
    expect(await workbook.run(["check", "lesson-1"])).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "lesson-1 adder needs workbook-no-such-server, which is not installed: install workbook-no-such-server so that it is on PATH, then npm run check lesson-1\n",
    });
  });

  it("runs a lesson whose required executables are installed", async () => {
    workbook = createFixtureWorkbook([{ ...adderLesson, manifest: { ...adderLesson.manifest, requires: ["git"] } }]);
    expect((await workbook.run(["check", "lesson-1"])).code).toBe(1);
  });
});

describe("npm run check in a trainer's room", () => {
  let room: TestRoom | undefined;
  afterEach(async () => {
    await room?.remove();
    room = undefined;
  });

  it("shows the trainer's notes not dismissed yet after its verdict, and in --json", async () => {
    workbook = createFixtureWorkbook();
    room = await startTestRoom();
    await workbook.run(["hint", "lesson-1", "--room", room.joinUrl, "--name", "Ana"]);
    const ana = readMembership(workbook.root)!;
    const send = (body: unknown) =>
      fetch(`${room!.origin}/notes?key=${room!.store.trainerKey}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    await send({ text: "Break until 11:00" });
    await send({ to: ana.id, text: "Ana, look at line 2" });
    const { code, stdout } = await workbook.run(["check", "lesson-1"]);
    expect(code).toBe(1);
    expect(stdout.trimEnd().split("\n").slice(-5)).toEqual([
      "Next: make “adds two numbers” pass in lessons/lesson-1-adder/adder.ts",
      "",
      "✉ From the trainer, to everyone: Break until 11:00",
      "✉ From the trainer: Ana, look at line 2",
      "Read them? Press d in npm start to dismiss them.",
    ]);
    const json = JSON.parse((await workbook.run(["check", "lesson-1", "--json"])).stdout) as CheckJson;
    expect(json.trainerNotes.map(({ text, toRoom }) => ({ text, toRoom }))).toEqual([
      { text: "Break until 11:00", toRoom: true },
      { text: "Ana, look at line 2", toRoom: false },
    ]);
  });

  it("never waits on a room that does not answer longer than its short timeouts", async () => {
    workbook = createFixtureWorkbook();
    const timed = async () => {
      const started = performance.now();
      const { code, stdout } = await workbook.run(["check", "lesson-1"]);
      return { code, last: lastLine(stdout), ms: performance.now() - started };
    };
    const alone = await timed();
    const silent = await startSilentServer();
    try {
      saveMembership(workbook.root, { joinUrl: `${silent.origin}/join/abcdefgh`, id: "x", secret: "y", name: "Ana" });
      const beside = await timed();
      // Asked for notes and sent the status, each with its one-second limit: the verdict as without a room.
      expect(silent.requests()).toBe(2);
      expect({ code: beside.code, last: beside.last }).toEqual({ code: alone.code, last: alone.last });
      expect(beside.ms - alone.ms).toBeLessThan(2000);
    } finally {
      await silent.close();
    }
  });
});
