import { afterEach, describe, expect, it } from "vitest";
import { loadLessons } from "../learner/workbook/lessons.ts";
import {
  type FixtureLesson,
  type FixtureWorkbook,
  adderLesson,
  createFixtureWorkbook,
  fixtureLesson,
  limiterLesson,
  references,
} from "../testing/fixture-workbook.ts";
import { createPatch } from "./patch.ts";
import { testsOf } from "./verify-catalogue.ts";

let workbook: FixtureWorkbook;
afterEach(() => workbook?.remove());

const lastLine = (text: string) => text.trimEnd().split("\n").pop();

describe("npm run verify", () => {
  it("proves every lesson: tests fail on the stub, pass on the reference, the stub type-checks", async () => {
    workbook = createFixtureWorkbook();
    expect(await workbook.run(["verify"])).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        "✓ lesson-1 adder: 2 tests fail on the stub and pass on the reference; the stub type-checks",
        "✓ lesson-2 rate limiter: 2 tests fail on the stub and pass on the reference; the stub type-checks",
        "2 passed, 0 failed",
        "",
      ].join("\n"),
    });
  });

  it("verifies the committed stubs, not a learner's edits, and leaves those edits alone", async () => {
    workbook = createFixtureWorkbook();
    const solved = references["solutions/adder.ts"]!;
    const broken = "export function allow(used: number, max: number): boolean {\n  return used <;\n}\n";
    workbook.write("lessons/lesson-1-adder/adder.ts", solved);
    workbook.write("lessons/lesson-2-rate-limiter/limiter.ts", broken);
    const { code, stdout } = await workbook.run(["verify"]);
    expect(code).toBe(0);
    expect(lastLine(stdout)).toBe("2 passed, 0 failed");
    expect(workbook.read("lessons/lesson-1-adder/adder.ts")).toBe(solved);
    expect(workbook.read("lessons/lesson-2-rate-limiter/limiter.ts")).toBe(broken);
    expect(workbook.exists(".workbook/backups")).toBe(false);
  });

  describe("on a workbook that breaks the invariants", () => {
    // lesson-1: the committed stub already passes one test.
    const halfDone = {
      ...adderLesson,
      files: {
        ...adderLesson.files,
        "adder.ts": "export function add(a: number, b: number): number {\n  return a + Math.abs(b);\n}\n",
      },
    };
    // lesson-2: a test fails on the stub through a TypeError, its README has two hints, and its manifest lists hints too.
    const crashing = {
      ...limiterLesson,
      manifest: { ...limiterLesson.manifest, hints: ["Compare.", "Used against max."] },
      files: {
        ...limiterLesson.files,
        "limiter.test.ts": [
          limiterLesson.files["limiter.test.ts"],
          'it("describes its answer", () => {',
          "  let answer: { text: string } | undefined;",
          "  try {",
          "    answer = { text: String(allow(1, 2)) };",
          "  } catch {}",
          '  expect(answer!.text).toBe("true");',
          "});",
          "",
        ].join("\n"),
        "README.md": "# Lesson 2\n\n## Hints\n\n- Compare.\n- Used against max.\n",
      },
    };
    // lesson-3: the reference fails a test, and the stub has a type error.
    const wrongReference = fixtureLesson(3, "wrong");
    wrongReference.files["adder.test.ts"] += 'it("adds three", () => {\n  expect(add(1, 1)).toBe(3);\n});\n';
    wrongReference.files["adder.ts"] += "export const typo: number = 'one';\n";

    it("fails, naming each lesson and test that breaks one, with the summary last", async () => {
      workbook = createFixtureWorkbook([halfDone, crashing, wrongReference]);
      const { code, stdout } = await workbook.run(["verify"]);
      expect(code).toBe(1);
      const lines = stdout.trimEnd().split("\n");
      expect(lines[0]).toBe("✗ lesson-1 adder");
      expect(lines).toContain(
        "    “add › adds two numbers” passes on the committed stub (lessons/lesson-1-adder/adder.test.ts)",
      );
      expect(lines).toContain("✗ lesson-2 rate limiter");
      expect(lines).toContain(
        '    lessons/lesson-2-rate-limiter/README.md has 2 hints in its "Hints" section; a lesson needs 3',
      );
      expect(lines).toContain(
        '    lessons/lesson-2-rate-limiter/lesson.json lists hints: they are read from README.md\'s "Hints" section, so remove "hints" from lesson.json',
      );
      expect(stdout).toMatch(
        / {4}“describes its answer” fails on the committed stub through TypeError at lessons\/lesson-2-rate-limiter\/limiter\.test\.ts:16:\d+ \(Cannot read properties of undefined \(reading 'text'\)\), not NotImplementedError or an assertion\n/,
      );
      expect(lines).toContain("✗ lesson-3 wrong");
      expect(stdout).toMatch(
        / {4}“adds three” fails with the reference at lessons\/lesson-3-wrong\/adder\.test\.ts:\d+:\d+: expected 2 to be 3/,
      );
      expect(stdout).toMatch(
        / {4}type error in the committed stub's files at lessons\/lesson-3-wrong\/adder\.ts:6:\d+: Type 'string' is not assignable to type 'number'\./,
      );
      expect(lastLine(stdout)).toBe("0 passed, 3 failed");
    });

    it("--lesson verifies one lesson, and --json reports it as one object", async () => {
      workbook = createFixtureWorkbook([adderLesson, fixtureLesson(2, "two")]);
      workbook.write("lessons/lesson-2-two/adder.ts", halfDone.files["adder.ts"]!);
      workbook.git("commit", "-qam", "a stub that passes a test");
      const { code, stdout } = await workbook.run(["verify", "--lesson", "lesson-2", "--json"]);
      expect(code).toBe(1);
      expect(JSON.parse(stdout)).toEqual({
        lessons: [
          {
            id: "lesson-2",
            label: "lesson-2 two",
            tests: 2,
            mistakesCaught: 0,
            mistakesTotal: 0,
            passed: false,
            problems: ["“add › adds two numbers” passes on the committed stub (lessons/lesson-2-two/adder.test.ts)"],
          },
        ],
        problems: [],
        passed: 0,
        failed: 1,
      });
    });
  });

  it("fails a lesson whose manifest gives another number of tests than its test files hold", async () => {
    workbook = createFixtureWorkbook([{ ...adderLesson, manifest: { ...adderLesson.manifest, testCount: 3 } }]);
    const { code, stdout } = await workbook.run(["verify"]);
    expect(code).toBe(1);
    expect(stdout).toContain(
      '✗ lesson-1 adder\n    lessons/lesson-1-adder/lesson.json says "testCount": 3, but its tests hold 2: set it to 2\n',
    );
  });

  it("fails a lesson whose reference “passes, but…” would note, naming the rule and the line", async () => {
    workbook = createFixtureWorkbook();
    workbook.write(
      "solutions/adder.ts",
      "export function add(a: number, b: number): number {\n  debugger;\n  return a + b;\n}\n",
    );
    const { code, stdout } = await workbook.run(["verify", "--lesson", "lesson-1"]);
    expect(code).toBe(1);
    expect(stdout).toContain(
      "✗ lesson-1 adder\n" +
        '    "passes, but…" notes the reference, read at lessons/lesson-1-adder/adder.ts:2: a debugger statement is ' +
        "left in: it pauses the server wherever a debugger is attached. Remove it. (debugger)\n",
    );
  });

  it("fails a lesson folder without a manifest", async () => {
    workbook = createFixtureWorkbook();
    workbook.write("lessons/lesson-3-draft/notes.md", "to do\n");
    const { code, stdout } = await workbook.run(["verify"]);
    expect(code).toBe(1);
    expect(stdout).toContain("✗ lessons/lesson-3-draft\n    has no lesson.json\n");
    expect(lastLine(stdout)).toBe("2 passed, 1 failed");
  });
});

describe("npm run verify with a mistake catalogue", () => {
  const dir = "checks/authoring/mistakes/lesson-1-adder";
  const reference = references["solutions/adder.ts"]!;
  const adder = (body: string) => `export function add(a: number, b: number): number {\n  return ${body};\n}\n`;
  const caught = [
    ["subtracts.patch", "a - b", "Subtracts instead of adding.", { test: "adds two numbers" }],
    ["multiplies.patch", "a * b", "Multiplies instead of adding.", { test: "adds two numbers" }],
    [
      "drops-the-sign.patch",
      "a + Math.abs(b)",
      "Adds the size of b, whatever its sign.",
      { test: "adds a negative number" },
    ],
    ["returns-b.patch", "b", "Returns b alone.", { message: "expected 3 to be 5" }],
  ] as const;
  // Six tests, so that six mistakes each fail a set of their own (two could not tell them apart).
  const sums: FixtureLesson = {
    ...adderLesson,
    files: {
      ...adderLesson.files,
      "adder.test.ts": [
        'import { expect, it } from "vitest";',
        'import { add } from "./adder";',
        ...[
          ["adds two numbers", 2, 3, 5],
          ["adds a negative number", 2, -3, -1],
          ["adds zero", 0, 7, 7],
          ["adds to zero", 7, 0, 7],
          ["adds two ones", 1, 1, 2],
          ["adds two twos", 2, 2, 4],
        ].map(([name, a, b, sum]) => `it("${name}", () => {\n  expect(add(${a}, ${b})).toBe(${sum});\n});`),
        "",
      ].join("\n"),
    },
  };
  const told = [
    ["subtracts.patch", "a - b", "Subtracts instead of adding.", { test: "adds two numbers" }],
    ["multiplies.patch", "a * b", "Multiplies instead of adding.", { test: "adds two numbers" }],
    ["drops-the-sign.patch", "a + Math.abs(b)", "Adds the size of b.", { test: "adds a negative number" }],
    ["returns-b.patch", "b", "Returns b alone.", { message: "expected 3 to be 5" }],
    ["doubles-a.patch", "a + a", "Adds a to itself.", { test: "adds two numbers" }],
    ["adds-one-more.patch", "a + b + 1", "Adds one too many.", { test: "adds two numbers" }],
  ] as const;
  function writeCatalogue(mistakes: readonly (readonly [string, string, string, Record<string, string>])[]) {
    for (const [file, body] of mistakes)
      workbook.write(`${dir}/${file}`, createPatch("solutions/adder.ts", reference, adder(body)));
    const entries = mistakes.map(([file, , note, firstFailure]) => ({
      ...{ file, stub: "adder.ts", title: file.replace(".patch", "").replaceAll("-", " "), note },
      ...{ learnerNote: `Your add seems wrong: ${note}`, firstFailure },
    }));
    workbook.write(`${dir}/mistakes.json`, JSON.stringify(entries, null, 2));
  }

  it("proves every mistake fails a test, first where its entry says, and --json counts them", async () => {
    workbook = createFixtureWorkbook([sums]);
    writeCatalogue(told);
    const { code, stdout } = await workbook.run(["verify", "--lesson", "lesson-1", "--json", "--record"]);
    expect(JSON.parse(stdout)).toEqual({
      lessons: [
        {
          id: "lesson-1",
          label: "lesson-1 adder",
          tests: 6,
          mistakesCaught: 6,
          mistakesTotal: 6,
          diagnosis: { mistakesDiagnosed: 6, variants: { right: 0, none: 0, wrong: 0 } },
          passed: true,
          problems: [],
        },
      ],
      problems: [],
      passed: 1,
      failed: 0,
    });
    expect(code).toBe(0);
    expect(workbook.read("lessons/lesson-1-adder/adder.ts"), "the stub on disk is never touched").toBe(
      adderLesson.files["adder.ts"],
    );
  });

  const knownFile = "checks/learner/diagnosis/known-mistakes/lesson-1-adder.json";
  const again = "record it with `npm run verify -- --lesson lesson-1 --record`";

  it("--record writes the signatures a learner's check is diagnosed by, which verify then proves", async () => {
    workbook = createFixtureWorkbook([sums]);
    writeCatalogue(told);
    const recorded = await workbook.run(["verify", "--record"]);
    expect(recorded.stdout.trimEnd().split("\n").slice(-2)).toEqual([
      "diagnosis: 6 of 6 catalogued mistakes diagnosed as themselves",
      "1 passed, 0 failed",
    ]);
    const known = JSON.parse(workbook.read(knownFile));
    expect(known).toMatchObject({ lesson: "lesson-1", tests: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(known.mistakes.map((m: { mistake: string }) => m.mistake)).toEqual(
      told.map(([f]) => f.replace(".patch", "")),
    );
    expect(known.mistakes[2]).toEqual({
      mistake: "drops-the-sign",
      stub: "adder.ts",
      title: "drops the sign",
      note: "Your add seems wrong: Adds the size of b.",
      source: expect.stringMatching(/^[0-9a-f]{16}$/),
      signature: {
        files: ["adder.test.ts"],
        first: [{ kind: "test", file: "adder.test.ts", test: "adds a negative number", error: "AssertionError" }],
        failing: { "adder.test.ts": ["adds a negative number"] },
      },
    });
    const proved = await workbook.run(["verify"]);
    expect(proved.stdout.trimEnd().split("\n").slice(-2)).toEqual([
      "diagnosis: 6 of 6 catalogued mistakes diagnosed as themselves",
      "1 passed, 0 failed",
    ]);
  });

  it("fails while the signatures are out of date, and two mistakes the tests cannot tell apart", async () => {
    workbook = createFixtureWorkbook([sums]);
    writeCatalogue(told);
    await workbook.run(["verify", "--record"]);
    // 3 + 3 is 9 multiplied, so multiplies now fails every test, as adds-one-more does; and a note changes.
    const testFile = "lessons/lesson-1-adder/adder.test.ts";
    workbook.write(testFile, workbook.read(testFile).replace("add(2, 2)).toBe(4)", "add(3, 3)).toBe(6)"));
    writeCatalogue(told.map((m) => (m[0] === "doubles-a.patch" ? [m[0], m[1], "Doubles a.", m[3]] : m)));
    const stale = await workbook.run(["verify"]);
    expect(stale.code).toBe(1);
    expect(stale.stdout.trimEnd().split("\n").slice(1, -2)).toEqual([
      `    ${knownFile} is out of date ` +
        `(the lesson's tests changed since; doubles-a's stub, title or note changed): ${again}`,
      `    the mistake ${dir}/multiplies.patch is not diagnosed as itself (it is taken for adds-one-more): ` +
        `it now fails “adds two twos”; ${again}`,
    ]);
    const apart = "so no diagnosis can tell them apart: add a test that fails for one and not the other";
    const recorded = await workbook.run(["verify", "--record"]);
    expect(recorded.stdout.trimEnd().split("\n").slice(1, -2)).toEqual([
      `    the mistake ${dir}/multiplies.patch fails the tests just as adds-one-more does, ${apart}`,
      `    the mistake ${dir}/adds-one-more.patch fails the tests just as multiplies does, ${apart}`,
    ]);
  });

  it("measures the variants: diagnosed as their mistake (right), as nothing (none) or as another (wrong)", async () => {
    workbook = createFixtureWorkbook([sums]);
    writeCatalogue(told);
    const variants = [
      ["adds-the-negation.patch", "a + -b", "subtracts"],
      ["adds-one-past-one.patch", "a + b + (a > 1 ? 1 : 0)", "adds-one-more"],
      ["takes-the-size-away.patch", "a - Math.abs(b)", "subtracts"],
      ["takes-b-from-a.patch", "a - b", "returns-b"],
      ["swaps-the-operands.patch", "b + a", "drops-the-sign"],
      ["sums-as-text.patch", "String(a + b)", "subtracts"],
    ];
    for (const [file, body] of variants)
      workbook.write(`${dir}/variants/${file}`, createPatch("solutions/adder.ts", reference, adder(body!)));
    const entries = variants.map(([file, body, of]) => ({ file, of, how: `written as ${body}` }));
    workbook.write(`${dir}/variants/variants.json`, JSON.stringify(entries));
    const { code, stdout } = await workbook.run(["verify", "--record", "--json"]);
    expect(code).toBe(1);
    const [lesson] = JSON.parse(stdout).lessons;
    expect(lesson.diagnosis).toEqual({ mistakesDiagnosed: 6, variants: { right: 1, none: 2, wrong: 1 } });
    expect(lesson.problems).toEqual([
      `the variant ${dir}/variants/takes-b-from-a.patch of returns-b is diagnosed as subtracts`,
      `the variant ${dir}/variants/swaps-the-operands.patch passes every test: ` +
        "the tests do not catch drops-the-sign written so",
      `the variant ${dir}/variants/sums-as-text.patch does not type-check at lessons/lesson-1-adder/adder.ts:2`,
    ]);
  });

  it("names each mistake not caught, caught elsewhere first, not type-checking or no longer applying", async () => {
    workbook = createFixtureWorkbook();
    writeCatalogue([
      ...caught.slice(0, 3),
      [
        "swaps-the-operands.patch",
        "b + a",
        "Swaps the operands, which addition does not mind.",
        { test: "adds two numbers" },
      ],
      ["subtracts-too.patch", "a - b", "Subtracts instead of adding.", { test: "adds a negative number" }],
      ["returns-text.patch", "String(a + b)", "Returns the sum as text.", { test: "adds two numbers" }],
      ["stale.patch", "a + b + 1", "Adds one too many.", { test: "adds two numbers" }],
    ]);
    // Written against an adder that has since changed under it; and a draft left behind.
    const older = reference.replace("(a: number, b: number)", "(x: number, y: number)").replace("a + b", "x + y");
    workbook.write(`${dir}/stale.patch`, createPatch("solutions/adder.ts", older, older.replace("x + y", "x + y + 1")));
    workbook.write(`${dir}/multiplies.ts`, adder("a * b * 1"));
    const { code, stdout, stderr } = await workbook.run(["verify"]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `Warning: ${dir}/multiplies.ts is a draft that verify does not use: ` +
        "save it as its patch with `npm run mistake -- save lesson-1 multiplies`, or delete it\n",
    );
    expect(stdout.trimEnd().split("\n")).toEqual([
      "✗ lesson-1 adder (its tests catch 3 of the 6 mistakes of its catalogue)",
      `    ${dir}/stale.patch no longer applies to solutions/adder.ts at hunk 1 (written for line 1): ` +
        "the reference changed there; recreate it with `npm run mistake -- edit lesson-1 stale` " +
        "(it keeps what still applies and shows the rest), make the change again, then " +
        "`npm run mistake -- save lesson-1 stale`",
      `    the mistake ${dir}/swaps-the-operands.patch (Swaps the operands, which addition does not mind.) ` +
        "is not caught: every test passes",
      `    the mistake ${dir}/subtracts-too.patch (Subtracts instead of adding.) is not caught: ` +
        "the first failure is “add › adds two numbers” (expected -1 to be 5 // Object.is equality), " +
        "not a test named like “adds a negative number”",
      `    the mistake ${dir}/returns-text.patch (Returns the sum as text.) is not caught: ` +
        "it does not type-check at lessons/lesson-1-adder/adder.ts:2: " +
        "Type 'string' is not assignable to type 'number'.",
      "    checks/learner/diagnosis/known-mistakes/lesson-1-adder.json does not exist: " +
        "record it with `npm run verify -- --lesson lesson-1 --record`",
      "✗ lesson-2 rate limiter",
      "    has no mistake catalogue: add checks/authoring/mistakes/lesson-2-rate-limiter/mistakes.json with at least 6 mistakes",
      "diagnosis: 0 of 6 catalogued mistakes diagnosed as themselves",
      "0 passed, 2 failed",
    ]);
  });
});

describe("testsOf", () => {
  it("runs a mistake only against the lesson's test files that import its stub, else against all of them", () => {
    const routes = {
      folder: "lesson-1-routes",
      manifest: {
        ...adderLesson.manifest,
        files: [
          { stub: "users.ts", reference: "solutions/adder.ts" },
          { stub: "user-by-id.ts", reference: "solutions/adder.ts" },
        ],
        tests: ["users.test.ts", "user-by-id.test.ts", "both.test.ts"],
      },
      files: {
        "users.test.ts": 'import { GET } from "./users";\n',
        "user-by-id.test.ts": "import { GET } from './user-by-id.ts';\n",
        "both.test.ts": 'import { GET } from "./users";\nimport { DELETE } from "./user-by-id";\n',
      },
    };
    workbook = createFixtureWorkbook([routes], { git: false });
    const [lesson] = loadLessons(workbook.root).lessons;
    const dir = "lessons/lesson-1-routes";
    expect(testsOf(workbook.root, lesson!, `${dir}/users.ts`)).toEqual([`${dir}/users.test.ts`, `${dir}/both.test.ts`]);
    expect(testsOf(workbook.root, lesson!, `${dir}/user-by-id.ts`)).toEqual([
      `${dir}/user-by-id.test.ts`,
      `${dir}/both.test.ts`,
    ]);
    expect(testsOf(workbook.root, lesson!, `${dir}/unused.ts`), "no test imports it: run them all").toHaveLength(3);
  });
});

describe("npm run verify without a committed copy of the stubs", () => {
  it("verifies the working copies, saying why in one line per stub", async () => {
    workbook = createFixtureWorkbook([adderLesson], { git: false });
    const { code, stdout, stderr } = await workbook.run(["verify"]);
    expect(code).toBe(0);
    expect(stderr).toBe(
      "Warning: this folder is not a git checkout, so there is no committed copy: verifying the working copy of lessons/lesson-1-adder/adder.ts.\n",
    );
    expect(lastLine(stdout)).toBe("1 passed, 0 failed");
  });
});
