import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import {
  type FixtureWorkbook,
  adderLesson,
  createFixtureWorkbook,
  limiterLesson,
} from "../../testing/fixture-workbook.ts";
import { ResidentTypeChecker, flatten, lineAndColumn } from "./resident-typecheck.ts";
import { type TypeDiagnostic, closeTypeCheckers, parseTscOutput, typecheck } from "./typecheck.ts";

describe("parseTscOutput", () => {
  it("reads file, line, column, code and message, relative to the project root", () => {
    const output =
      "lessons/lesson-1-errors/errors.ts(12,5): error TS2322: Type 'string' is not assignable to type 'number'.\n";
    expect(parseTscOutput(output, "/project")).toEqual([
      {
        file: "lessons/lesson-1-errors/errors.ts",
        line: 12,
        column: 5,
        code: "TS2322",
        message: "Type 'string' is not assignable to type 'number'.",
      },
    ]);
  });

  it("makes paths relative to the root when tsc ran elsewhere", () => {
    const [diagnostic] = parseTscOutput(
      "../lessons/a.ts(1,1): error TS1109: Expression expected.",
      "/project/.workbook",
      "/project",
    );
    expect(diagnostic!.file).toBe("lessons/a.ts");
  });

  it("joins indented continuation lines to the diagnostic above", () => {
    const output = [
      "a.ts(3,7): error TS2322: Type '{ a: string; }' is not assignable to type 'User'.",
      "  Property 'b' is missing in type '{ a: string; }' but required in type 'User'.",
      "b.ts(1,1): error TS1109: Expression expected.",
    ].join("\n");
    const diagnostics = parseTscOutput(output, "/p");
    expect(diagnostics.map((d) => d.message)).toEqual([
      "Type '{ a: string; }' is not assignable to type 'User'.\n  Property 'b' is missing in type '{ a: string; }' but required in type 'User'.",
      "Expression expected.",
    ]);
  });

  it("keeps an error about no file in particular", () => {
    expect(parseTscOutput("error TS5083: Cannot read file 'tsconfig.json'.", "/p")).toEqual([
      { file: "", line: 0, column: 0, code: "TS5083", message: "Cannot read file 'tsconfig.json'." },
    ]);
  });

  it("finds nothing in clean output", () => {
    expect(parseTscOutput("", "/p")).toEqual([]);
  });
});

describe("the resident type-checker's rendering of a diagnostic", () => {
  it("puts each reason of a chain on its own line, indented by its depth, as tsc prints it", () => {
    const chain = {
      text: "Type '{ a: string; }' is not assignable to type 'User'.",
      messageChain: [
        {
          text: "Types of property 'a' are incompatible.",
          messageChain: [{ text: "Type 'string' is not assignable to type 'number'." }],
        },
      ],
    };
    expect(flatten(chain)).toBe(
      "Type '{ a: string; }' is not assignable to type 'User'.\n  Types of property 'a' are incompatible.\n    Type 'string' is not assignable to type 'number'.",
    );
  });

  it("counts lines and columns from 1, columns in UTF-16 code units as tsc does", () => {
    const text = 'const é = "😀"; const x = 1;\nlet y';
    expect(lineAndColumn(text, text.indexOf("x"))).toEqual({ line: 1, column: 23 });
    expect(lineAndColumn(text, text.indexOf("y"))).toEqual({ line: 2, column: 5 });
  });
});

describe("typecheck (TypeScript 7 on a fixture workbook)", () => {
  const stub = "lessons/lesson-1-adder/adder.ts";
  const limiter = "lessons/lesson-2-rate-limiter/limiter.ts";
  const files = [stub, "lessons/lesson-1-adder/adder.test.ts"];
  /** A stub that imports `one` from a file beside it. */
  const importsOne = [
    'import { one } from "./one";',
    "export function add(a: number, b: number): number {",
    "  return a + b + one - 1;",
    "}",
    "",
  ].join("\n");
  let workbook: FixtureWorkbook | undefined;
  let kept: ResidentTypeChecker | undefined;
  afterEach(() => {
    closeTypeCheckers();
    kept?.close();
    workbook?.remove();
    kept = workbook = undefined;
  });

  // A repeated check (incrementalKey) goes to a type-checker kept running once it has read the
  // lesson, which it does after the lesson's first check; that one, and a single check, run tsc.
  const once = (root: string) => typecheck({ root, files });
  const configOf = (root: string) => path.join(root, ".workbook/tmp/tsconfig.lesson-1.json");
  const repeated = (root: string, resident = (kept ??= new ResidentTypeChecker(root))) =>
    typecheck({ root, files, incrementalKey: "lesson-1", resident });
  /** The kept type-checker's answer: after a first check, and once it has read the lesson. */
  async function fromKept(root: string): Promise<TypeDiagnostic[]> {
    kept ??= new ResidentTypeChecker(root);
    if (!kept.knows(configOf(root))) await repeated(root);
    while (!kept.knows(configOf(root))) await sleep(20);
    return repeated(root);
  }

  it("reports, error for error, what tsc reports: types, a chain of reasons, the tests' file", async () => {
    workbook = createFixtureWorkbook([adderLesson]);
    workbook.write(
      stub,
      [
        "type Pair = { left: number; right: number };",
        'const loose = { left: 1, right: "2" };',
        "const pair: Pair = loose;",
        "export function add(a: number, b: number): number {",
        "  return String(a + b + pair.left);",
        "}",
        "",
      ].join("\n"),
    );
    workbook.write(files[1]!, `${adderLesson.files["adder.test.ts"]}\nconst wrong: string = add(1, 2);\n`);
    const fromTsc = await once(workbook.root);
    expect(fromTsc.map((d) => `${d.file}:${d.line}:${d.column} ${d.code}`)).toEqual([
      "lessons/lesson-1-adder/adder.test.ts:13:7 TS2322",
      "lessons/lesson-1-adder/adder.ts:3:7 TS2322",
      "lessons/lesson-1-adder/adder.ts:5:3 TS2322",
    ]);
    expect(fromTsc[1]!.message).toContain("\n  Types of property 'right' are incompatible.\n    ");
    expect(await fromKept(workbook.root)).toEqual(fromTsc);
  });

  it("reports only the syntax errors while there are any, as tsc does", async () => {
    workbook = createFixtureWorkbook([adderLesson]);
    workbook.write(
      stub,
      "export function add(a: number, b: number): number {\n  return a +;\n}\nconst x: string = 1;\n",
    );
    const fromTsc = await once(workbook.root);
    expect(fromTsc.map((d) => d.code)).toEqual(["TS1109"]);
    expect(await fromKept(workbook.root)).toEqual(fromTsc);
  });

  it("finds a file the stub imports once it is created, after a check that missed it", async () => {
    workbook = createFixtureWorkbook([adderLesson]);
    workbook.write(stub, importsOne);
    expect((await fromKept(workbook.root)).map((d) => d.code)).toEqual(["TS2307"]);
    workbook.write("lessons/lesson-1-adder/one.ts", "export const one = 1;\n");
    expect(await repeated(workbook.root)).toEqual([]);
  });

  it("reports the program's global errors as tsc does, after a save as before", async () => {
    workbook = createFixtureWorkbook([adderLesson]);
    // No standard library: every global type is missing, which only the program as a whole says.
    const tsconfig = JSON.parse(workbook.read("tsconfig.json"));
    const { lib: _lib, ...options } = tsconfig.compilerOptions;
    workbook.write("tsconfig.json", JSON.stringify({ ...tsconfig, compilerOptions: { ...options, noLib: true } }));
    const fromTsc = await once(workbook.root);
    expect(fromTsc.filter((d) => d.code === "TS2318").length).toBeGreaterThan(5);
    expect(await fromKept(workbook.root)).toEqual(fromTsc);
    workbook.write(stub, `${adderLesson.files["adder.ts"]}// saved\n`);
    expect(await repeated(workbook.root)).toEqual(await once(workbook.root));
  });

  it("misses a file the stub imports once it is deleted, as tsc does", async () => {
    workbook = createFixtureWorkbook([adderLesson]);
    workbook.write("lessons/lesson-1-adder/one.ts", "export const one = 1;\n");
    workbook.write(stub, importsOne);
    expect(await fromKept(workbook.root)).toEqual([]);
    rmSync(workbook.path("lessons/lesson-1-adder/one.ts"));
    const fromTsc = await once(workbook.root);
    expect(fromTsc.map((d) => d.code)).toEqual(["TS2307"]);
    expect(await repeated(workbook.root)).toEqual(fromTsc);
  });

  it("checks with tsc instead when the type-checker kept running cannot start", async () => {
    workbook = createFixtureWorkbook([adderLesson]);
    workbook.write(stub, "export function add(a: number, b: number): number {\n  return String(a + b);\n}\n");
    kept = new ResidentTypeChecker(workbook.root, { tsgo: workbook.path("no-such-tsgo") });
    await repeated(workbook.root);
    await sleep(500);
    expect(kept.knows(configOf(workbook.root)), "it never read the lesson").toBe(false);
    expect(await repeated(workbook.root)).toEqual([
      { file: stub, line: 2, column: 3, code: "TS2322", message: "Type 'string' is not assignable to type 'number'." },
    ]);
  });

  it("runs tsc for a lesson's first check, while the kept type-checker reads the lesson for the next", async () => {
    workbook = createFixtureWorkbook([adderLesson]);
    workbook.write(stub, "export function add(a: number, b: number): number {\n  return String(a + b);\n}\n");
    kept = new ResidentTypeChecker(workbook.root);
    const first = await repeated(workbook.root);
    expect(kept.knows(configOf(workbook.root)), "not read before the first check answered").toBe(false);
    expect(first.map((d) => d.code)).toEqual(["TS2322"]);
    while (!kept.knows(configOf(workbook.root))) await sleep(20);
    expect(await repeated(workbook.root)).toEqual(first);
  });

  it("has the kept type-checker read the lesson only once the check's tests are done", async () => {
    workbook = createFixtureWorkbook([adderLesson]);
    const root = workbook.root;
    kept = new ResidentTypeChecker(root);
    let testsDone!: () => void;
    const readAfter = new Promise<void>((resolve) => (testsDone = resolve));
    await typecheck({ root, files, incrementalKey: "lesson-1", resident: kept, readAfter });
    await sleep(600);
    expect(kept.knows(configOf(root)), "read while the tests still ran").toBe(false);
    testsDone();
    while (!kept.knows(configOf(root))) await sleep(20);
  });

  it("sees a change outside the lessons, made while another lesson was checked, in every lesson's check", async () => {
    workbook = createFixtureWorkbook([adderLesson, limiterLesson]);
    const root = workbook.root;
    kept = new ResidentTypeChecker(root);
    // A reference file the stubs import, itself importing another: a change to the second breaks the first.
    workbook.write("solutions/one.ts", "export const one: number = 1;\n");
    workbook.write("solutions/two.ts", 'import { one } from "./one";\nexport const two: number = one + 1;\n');
    const importing = (signature: string, body: string) =>
      `import { two } from "../../solutions/two";\nexport function ${signature} {\n  return ${body};\n}\n`;
    workbook.write(stub, importing("add(a: number, b: number): number", "a + b + two - 2"));
    workbook.write(limiter, importing("allow(used: number, max: number): boolean", "used + two - 2 < max"));
    const lessons = {
      "lesson-1": [stub, "lessons/lesson-1-adder/adder.test.ts"],
      "lesson-2": [limiter, "lessons/lesson-2-rate-limiter/limiter.test.ts"],
    };
    const check = (key: keyof typeof lessons) =>
      typecheck({ root, files: lessons[key], incrementalKey: key, resident: kept });
    for (const key of ["lesson-1", "lesson-2"] as const) {
      await check(key);
      while (!kept.knows(path.join(root, `.workbook/tmp/tsconfig.${key}.json`))) await sleep(20);
      expect(await check(key)).toEqual([]);
    }
    workbook.write("solutions/one.ts", "export const one: string = '1';\n");
    expect((await check("lesson-2")).map((d) => d.file)).toEqual(["solutions/two.ts"]);
    expect((await check("lesson-1")).map((d) => d.file)).toEqual(["solutions/two.ts"]);
  });

  it("finds an error introduced after an incremental run, and sees it fixed", async () => {
    workbook = createFixtureWorkbook([adderLesson]);
    const root = workbook.root;
    expect(await typecheck({ root, files, incrementalKey: "lesson-1" })).toEqual([]);
    workbook.write(stub, "export function add(a: number, b: number): number {\n  return `${a + b}`;\n}\n");
    expect(await typecheck({ root, files, incrementalKey: "lesson-1" })).toEqual([
      { file: stub, line: 2, column: 3, code: "TS2322", message: "Type 'string' is not assignable to type 'number'." },
    ]);
    workbook.write(stub, adderLesson.files["adder.ts"]!);
    expect(await typecheck({ root, files, incrementalKey: "lesson-1" })).toEqual([]);
  });

  it("sees a change in a file the stub imports, not only in the files it was given", async () => {
    workbook = createFixtureWorkbook([adderLesson]);
    const root = workbook.root;
    workbook.write("lessons/lesson-1-adder/one.ts", "export const one: number = 1;\n");
    workbook.write(stub, importsOne);
    expect(await typecheck({ root, files, incrementalKey: "lesson-1" })).toEqual([]);
    workbook.write("lessons/lesson-1-adder/one.ts", "export const one: string = 1;\n");
    expect((await typecheck({ root, files, incrementalKey: "lesson-1" })).map((d) => `${d.file}:${d.line}`)).toEqual([
      "lessons/lesson-1-adder/adder.ts:3",
      "lessons/lesson-1-adder/one.ts:1",
    ]);
  });

  it("reports the same errors again when nothing changed", async () => {
    workbook = createFixtureWorkbook([adderLesson]);
    workbook.write(stub, "export function add(a: number, b: number): number {\n  return `${a + b}`;\n}\n");
    const first = await typecheck({ root: workbook.root, files, incrementalKey: "lesson-1" });
    expect(first).toHaveLength(1);
    expect(await typecheck({ root: workbook.root, files, incrementalKey: "lesson-1" })).toEqual(first);
  });

  it("leaves no throwaway tsconfig behind", async () => {
    workbook = createFixtureWorkbook([adderLesson]);
    await typecheck({ root: workbook.root, files });
    expect(readdirSync(workbook.path(".workbook/tmp"))).toEqual([]);
  });
});
