import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { testLesson } from "../testing/lessons.ts";
import type { Mistake } from "./mistake-catalogue.ts";
import { createPatch } from "./patch.ts";
import { loadVariants } from "./variants.ts";

// Variants are read like the catalogue: each a patch against its mistake's reference, listed
// with the mistake it is another version of; anything else is named as a problem of the lesson.

const lesson = testLesson(6, ["limiter.ts"]);
const dir = "checks/authoring/mistakes/lesson-6-thing/variants";
const reference = "export function allow(used: number, max: number): boolean {\n  return used < max;\n}\n";
const mistake: Mistake = {
  file: "allows-one-too-many.patch",
  stub: "limiter.ts",
  title: "allow while used <= max",
  note: "Lets one request too many through.",
  learnerNote: "Your limiter seems to let one request too many through.",
  firstFailure: { test: "refuses" },
  path: "checks/authoring/mistakes/lesson-6-thing/allows-one-too-many.patch",
  stubFile: `${lesson.dir}/limiter.ts`,
  reference: "solutions/limiter.ts",
  content: reference.replace("used < max", "used <= max"),
};
const variantText = reference.replace("used < max", "!(used > max)");
const variantPatch = createPatch("solutions/limiter.ts", reference, variantText);

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

function load(entries: unknown, files: Record<string, string> = {}) {
  root = mkdtempSync(path.join(tmpdir(), "variants-"));
  mkdirSync(path.join(root, dir), { recursive: true });
  mkdirSync(path.join(root, "solutions"));
  writeFileSync(path.join(root, "solutions/limiter.ts"), reference);
  writeFileSync(path.join(root, dir, "variants.json"), typeof entries === "string" ? entries : JSON.stringify(entries));
  for (const [file, content] of Object.entries(files)) writeFileSync(path.join(root, dir, file), content);
  return loadVariants(root, lesson, [mistake]);
}

describe("loadVariants", () => {
  it("reads each variant as its mistake's reference with its own patch applied, at its mistake's stub", () => {
    const entry = { file: "negated.patch", of: "allows-one-too-many", how: "negates a > instead of writing <=" };
    const { variants, problems } = load([entry], { "negated.patch": variantPatch });
    expect(problems).toEqual([]);
    expect(variants).toEqual([
      { ...entry, path: `${dir}/negated.patch`, mistake, stubFile: mistake.stubFile, content: variantText },
    ]);
  });

  it("has none for a lesson without variants", () => {
    root = mkdtempSync(path.join(tmpdir(), "variants-"));
    expect(loadVariants(root, lesson, [mistake])).toEqual({ variants: [], problems: [] });
  });

  it.each([
    ["a manifest that is not JSON", "[", {}, [expect.stringMatching(/variants\.json is not valid JSON/)]],
    [
      "an entry without what makes it independent",
      [{ file: "negated.patch", of: "allows-one-too-many" }],
      { "negated.patch": variantPatch },
      [expect.stringMatching(/variants\.json at 0\.how: /)],
    ],
    [
      "a variant of a mistake the catalogue does not have",
      [{ file: "negated.patch", of: "allows-none", how: "x" }],
      { "negated.patch": variantPatch },
      [`${dir}/negated.patch is a variant of allows-none, which is not a mistake of the lesson's catalogue`],
    ],
    [
      "a listed patch that is not there, and a patch that is not listed",
      [{ file: "missing.patch", of: "allows-one-too-many", how: "x" }],
      { "negated.patch": variantPatch },
      [`${dir}/missing.patch does not exist`, `${dir}/negated.patch is not listed in ${dir}/variants.json`],
    ],
    [
      "a patch that no longer applies",
      [{ file: "negated.patch", of: "allows-one-too-many", how: "x" }],
      { "negated.patch": variantPatch.replaceAll("used < max", "used < limit") },
      [expect.stringMatching(/negated\.patch no longer applies to solutions\/limiter\.ts at hunk 1/)],
    ],
  ])("names %s", (_case, entries, files, problems) => {
    expect(load(entries, files).problems).toEqual(problems);
  });
});
