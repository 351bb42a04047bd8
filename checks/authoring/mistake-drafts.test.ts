import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import {
  type FixtureWorkbook,
  adderLesson,
  createFixtureWorkbook,
  limiterLesson,
  references,
} from "../testing/fixture-workbook.ts";
import { createPatch } from "./patch.ts";

const edit = (name: string) => `\`npm run mistake -- edit lesson-1 ${name}\``;
const save = (name: string) => `\`npm run mistake -- save lesson-1 ${name}\``;

const usage =
  "Say what to do with which mistake. " +
  "Usage: npm run mistake -- edit|save <lesson> <name> [--stub <file>] [--variant-of <mistake>]";

let workbook: FixtureWorkbook;
afterEach(() => workbook?.remove());

const dir = "checks/authoring/mistakes/lesson-1-adder";
const reference = references["solutions/adder.ts"]!;
const subtracts = reference.replace("a + b", "a - b");
const listed = (file: string, stub = "adder.ts") => ({
  file,
  stub,
  title: "subtracts",
  note: "Subtracts instead of adding.",
  learnerNote: "Your add seems to subtract. Look at the operator in add.",
  firstFailure: { test: "adds two numbers" },
});

function withCatalogue(entries: unknown[], files: Record<string, string> = {}, lessons = [adderLesson]) {
  workbook = createFixtureWorkbook(lessons, { git: false });
  workbook.write(`${dir}/mistakes.json`, JSON.stringify(entries));
  for (const [file, content] of Object.entries(files)) workbook.write(`${dir}/${file}`, content);
  return workbook;
}

describe("npm run mistake -- edit and save", () => {
  it("edit writes a listed mistake in full beside its patch; save turns the edited draft into the patch", async () => {
    withCatalogue([listed("subtracts.patch")], {
      "subtracts.patch": createPatch("solutions/adder.ts", reference, subtracts),
    });
    expect(await workbook.run(["mistake", "edit", "lesson-1", "subtracts"])).toEqual({
      code: 0,
      stdout: [
        `Wrote ${dir}/subtracts.ts: the mistake subtracts in full, as it stands in for adder.ts.`,
        `Make the one change the mistake is about, then ${save("subtracts")}.`,
        "",
      ].join("\n"),
      stderr: "",
    });
    expect(workbook.read(`${dir}/subtracts.ts`)).toBe(subtracts);
    const edited = reference.replace("a + b", "b - a");
    workbook.write(`${dir}/subtracts.ts`, edited);
    expect(await workbook.run(["mistake", "save", "1", "subtracts.ts"])).toEqual({
      code: 0,
      stdout: [
        `Wrote ${dir}/subtracts.patch (2 changed lines) and deleted the draft.`,
        "Next: npm run verify -- --lesson lesson-1",
        "",
      ].join("\n"),
      stderr: "",
    });
    expect(workbook.read(`${dir}/subtracts.patch`)).toBe(createPatch("solutions/adder.ts", reference, edited));
    expect(workbook.exists(`${dir}/subtracts.ts`)).toBe(false);
  });

  it("starts a new mistake from the reference, even a lesson's first, and says how to list it once saved", async () => {
    workbook = createFixtureWorkbook([adderLesson], { git: false });
    const edit = await workbook.run(["mistake", "edit", "adder", "multiplies"]);
    expect(edit.stdout.split("\n")[0]).toBe(
      `Wrote ${dir}/multiplies.ts: solutions/adder.ts as it is, for a new mistake in adder.ts.`,
    );
    expect(workbook.read(`${dir}/multiplies.ts`)).toBe(reference);
    workbook.write(`${dir}/multiplies.ts`, reference.replace("a + b", "a * b"));
    expect((await workbook.run(["mistake", "save", "lesson-1", "multiplies"])).stdout.split("\n")).toEqual([
      `Wrote ${dir}/multiplies.patch (2 changed lines) and deleted the draft.`,
      `List it in ${dir}/mistakes.json: a title for the room, what it gets wrong, ` +
        "what a learner reads (to them), and where they see it first:",
      '  {"file":"multiplies.patch","stub":"adder.ts","title":"…","note":"…",' +
        '"learnerNote":"…","firstFailure":{"test":"…"}}',
      "Next: npm run verify -- --lesson lesson-1",
      "",
    ]);
  });

  it("keeps the hunks that still apply to a changed reference and shows the others to make again", async () => {
    const constants = ["zero", "one", "two", "three", "four"].map((name, i) => `export const ${name} = ${i};\n`);
    const longer = `// Sums.\n\n${reference}\n${constants.join("")}\n// The end.\n`;
    const mistake = longer.replace("a + b", "a - b").replace("// The end.", "// The end!");
    withCatalogue([listed("subtracts.patch")], {
      "subtracts.patch": createPatch("solutions/adder.ts", longer, mistake),
    });
    workbook.write("solutions/adder.ts", longer.replace("// Sums.", "// Sums two numbers."));
    const { code, stdout, stderr } = await workbook.run(["mistake", "edit", "lesson-1", "subtracts"]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(stdout.split("\n").slice(0, 11)).toEqual([
      `${dir}/subtracts.patch no longer applies to solutions/adder.ts at hunk 1 of 2 (written for line 1): ` +
        "the reference changed there; make this change again by hand:",
      "    @@ -1,7 +1,7 @@",
      "     // Sums.",
      "     ",
      "     export function add(a: number, b: number): number {",
      "    -  return a + b;",
      "    +  return a - b;",
      "     }",
      "     ",
      "     export const zero = 0;",
      `Wrote ${dir}/subtracts.ts: the mistake subtracts in full, as it stands in for adder.ts.`,
    ]);
    expect(workbook.read(`${dir}/subtracts.ts`)).toBe(
      longer.replace("// Sums.", "// Sums two numbers.").replace("// The end.", "// The end!"),
    );
  });

  it("starts over from the reference when the patch cannot be read", async () => {
    withCatalogue([listed("subtracts.patch")], { "subtracts.patch": subtracts });
    const { code, stdout } = await workbook.run(["mistake", "edit", "lesson-1", "subtracts"]);
    expect(code).toBe(0);
    expect(stdout.split("\n")[0]).toBe(
      `${dir}/subtracts.patch cannot be read as a patch at its line 1: ` +
        'it must start with a "--- a/<file>" line: the draft is the reference as it is; make the change again.',
    );
    expect(workbook.read(`${dir}/subtracts.ts`)).toBe(reference);
  });

  it("takes the stub from the catalogue, or from --stub for a new mistake in a lesson with several", async () => {
    const twoStubs = {
      ...adderLesson,
      manifest: {
        ...adderLesson.manifest,
        files: [
          { stub: "adder.ts", reference: "solutions/adder.ts" },
          { stub: "limiter.ts", reference: "solutions/limiter.ts" },
        ],
      },
      files: { ...adderLesson.files, "limiter.ts": limiterLesson.files["limiter.ts"]! },
    };
    withCatalogue([listed("lets-one-more-in.patch", "limiter.ts")], {}, [twoStubs]);
    await workbook.run(["mistake", "edit", "lesson-1", "lets-one-more-in"]);
    expect((await workbook.run(["mistake", "edit", "lesson-1", "new-one", "--stub", "adder.ts"])).stdout).toContain(
      "then `npm run mistake -- save lesson-1 new-one --stub adder.ts`.",
    );
    expect(workbook.read(`${dir}/lets-one-more-in.ts`)).toBe(references["solutions/limiter.ts"]);
    expect(workbook.read(`${dir}/new-one.ts`)).toBe(reference);
    expect(await workbook.run(["mistake", "edit", "lesson-1", "another"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "lesson-1 has several stubs (adder.ts, limiter.ts): say which one with --stub <file>.\n",
    });
  });

  it.each<[string, string[], string, (workbook: FixtureWorkbook) => void]>([
    ["no action", ["lesson-1"], usage, () => {}],
    ["an unknown action", ["show", "lesson-1", "subtracts"], usage, () => {}],
    ["no name", ["edit", "lesson-1"], usage, () => {}],
    [
      "an unknown lesson",
      ["edit", "lesson-7", "subtracts"],
      'Unknown lesson "lesson-7". Lessons: lesson-1 adder.',
      () => {},
    ],
    [
      "a name that is not kebab-case",
      ["edit", "lesson-1", "Sub_tracts"],
      '"Sub_tracts" cannot name a mistake: use kebab-case, like window-ends-a-millisecond-late.',
      () => {},
    ],
    [
      "a --stub the catalogue contradicts",
      ["edit", "lesson-1", "subtracts", "--stub", "other.ts"],
      `${dir}/mistakes.json lists subtracts for adder.ts, not other.ts.`,
      () => {},
    ],
    [
      "a --stub that is not the lesson's",
      ["edit", "lesson-1", "new-one", "--stub", "other.ts"],
      "other.ts is not one of lesson-1's stubs (adder.ts).",
      () => {},
    ],
    [
      "a missing reference",
      ["edit", "lesson-1", "subtracts"],
      "The reference solutions/adder.ts does not exist, so there is nothing to patch.",
      (w) => rmSync(w.path("solutions/adder.ts")),
    ],
    [
      "a broken mistakes.json",
      ["edit", "lesson-1", "subtracts"],
      `${dir}/mistakes.json is not valid JSON (Unexpected end of JSON input): fix it first.`,
      (w) => w.write(`${dir}/mistakes.json`, ""),
    ],
    [
      "an edit over a draft",
      ["edit", "lesson-1", "subtracts"],
      `${dir}/subtracts.ts is already there: save it with ${save("subtracts")}, or delete it to start over.`,
      (w) => w.write(`${dir}/subtracts.ts`, subtracts),
    ],
    [
      "a save without a draft",
      ["save", "lesson-1", "subtracts"],
      `There is no draft ${dir}/subtracts.ts to save: ${edit("subtracts")} writes it.`,
      () => {},
    ],
    [
      "a variant of a mistake the catalogue does not have",
      ["edit", "lesson-1", "adds-b-twice", "--variant-of", "multiplies"],
      `multiplies is not in ${dir}/mistakes.json: a variant is another version of one.`,
      () => {},
    ],
    [
      "a draft that is the reference",
      ["save", "lesson-1", "subtracts"],
      `${dir}/subtracts.ts is the same as solutions/adder.ts: make the mistake's change in it, then save again.`,
      (w) => w.write(`${dir}/subtracts.ts`, reference),
    ],
  ])("refuses %s in one line", async (_case, argv, stderr, prepare) => {
    withCatalogue([listed("subtracts.patch")], {
      "subtracts.patch": createPatch("solutions/adder.ts", reference, subtracts),
    });
    prepare(workbook);
    expect(await workbook.run(["mistake", ...argv])).toEqual({ code: 2, stdout: "", stderr: `${stderr}\n` });
  });

  it("edits and saves a variant of a catalogued mistake in the variants' folder, in its mistake's stub", async () => {
    withCatalogue([listed("subtracts.patch")], {
      "subtracts.patch": createPatch("solutions/adder.ts", reference, subtracts),
    });
    const variants = `${dir}/variants`;
    const saveVariant = "`npm run mistake -- save lesson-1 adds-the-negation --variant-of subtracts`";
    expect(
      (await workbook.run(["mistake", "edit", "lesson-1", "adds-the-negation", "--variant-of", "subtracts"])).stdout,
    ).toBe(
      [
        `Wrote ${variants}/adds-the-negation.ts: solutions/adder.ts as it is, for a new variant in adder.ts.`,
        `Make the one change the variant is about, then ${saveVariant}.`,
        "",
      ].join("\n"),
    );
    const negated = reference.replace("a + b", "a + -b");
    workbook.write(`${variants}/adds-the-negation.ts`, negated);
    const saved = await workbook.run(["mistake", "save", "lesson-1", "adds-the-negation", "--variant-of", "subtracts"]);
    expect(saved.stdout.split("\n")).toEqual([
      `Wrote ${variants}/adds-the-negation.patch (2 changed lines) and deleted the draft.`,
      `List it in ${variants}/variants.json: ` +
        "the mistake it is a version of, and how it differs from the catalogued one:",
      '  {"file":"adds-the-negation.patch","of":"subtracts","how":"…"}',
      "Next: npm run verify -- --lesson lesson-1",
      "",
    ]);
    expect(workbook.read(`${variants}/adds-the-negation.patch`)).toBe(
      createPatch("solutions/adder.ts", reference, negated),
    );
    // Listed, it is edited in full, and saved without the listing.
    workbook.write(
      `${variants}/variants.json`,
      JSON.stringify([{ file: "adds-the-negation.patch", of: "subtracts", how: "x" }]),
    );
    await workbook.run(["mistake", "edit", "lesson-1", "adds-the-negation", "--variant-of", "subtracts"]);
    expect(workbook.read(`${variants}/adds-the-negation.ts`)).toBe(negated);
    const again = await workbook.run(["mistake", "save", "lesson-1", "adds-the-negation", "--variant-of", "subtracts"]);
    expect(again.stdout).not.toContain("List it in");
  });
});
