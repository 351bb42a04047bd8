import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { Lesson } from "../learner/workbook/lessons.ts";
import { type Mistake, catalogueDir, mistakeName, patchReference } from "./mistake-catalogue.ts";

// Variants: for some catalogued mistakes, a second version written independently, the same
// misconception expressed another way (Math.floor where the catalogue has Math.round, a loop
// where it has a filter). They measure how well a diagnosis carries over to code nobody recorded
// a signature from: verify runs each one and counts, per lesson, how many are diagnosed as their
// mistake (right), as nothing (none), or as another mistake (wrong, which fails verify). They are
// never used to build signatures. Each is a patch against the same reference as its mistake, in
// checks/authoring/mistakes/<lesson folder>/variants/, listed in variants.json there.

const variantEntrySchema = z.strictObject({
  file: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*\.patch$/, "must be a kebab-case .patch file name in the variants' folder"),
  /** The catalogued mistake it is another version of: its name, without ".patch". */
  of: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "must name a mistake of the lesson's catalogue"),
  /** How it differs from the catalogued version: what makes it independent. */
  how: z.string().min(1),
});

type VariantEntry = z.infer<typeof variantEntrySchema>;

export interface Variant extends VariantEntry {
  /** The patch, relative to the root. */
  path: string;
  /** The mistake it is a version of, whose stub and reference it shares. */
  mistake: Mistake;
  /** Where it stands in for its stub, relative to the root. */
  stubFile: string;
  /** The reference with the variant's patch applied. */
  content: string;
}

export function variantsDir(lesson: Lesson): string {
  return `${catalogueDir(lesson)}/variants`;
}

/** The lesson's variants (a lesson may have none), each applied to its mistake's reference; else what is wrong. */
export function loadVariants(root: string, lesson: Lesson, mistakes: Mistake[]) {
  const dir = variantsDir(lesson);
  const manifest = `${dir}/variants.json`;
  if (!existsSync(path.join(root, manifest))) return { variants: [], problems: [] };
  const read = readVariantEntries(root, manifest);
  if ("problem" in read) return { variants: [], problems: [read.problem] };
  const variants: Variant[] = [];
  const problems: string[] = [];
  for (const entry of read.entries) {
    const file = `${dir}/${entry.file}`;
    const mistake = mistakes.find((candidate) => mistakeName(candidate.file) === entry.of);
    if (!mistake)
      problems.push(`${file} is a variant of ${entry.of}, which is not a mistake of the lesson's catalogue`);
    else if (!existsSync(path.join(root, file))) problems.push(`${file} does not exist`);
    else {
      const text = (name: string) => readFileSync(path.join(root, name), "utf8");
      const patched = patchReference(text(file), mistake.reference, text(mistake.reference));
      if (patched.ok)
        variants.push({ ...entry, path: file, mistake, stubFile: mistake.stubFile, content: patched.text });
      else problems.push(`${file} ${patched.problem}`);
    }
  }
  const listed = new Set(read.entries.map((entry) => entry.file));
  for (const name of readdirSync(path.join(root, dir)))
    if (name.endsWith(".patch") && !listed.has(name)) problems.push(`${dir}/${name} is not listed in ${manifest}`);
  return { variants, problems };
}

export function readVariantEntries(root: string, manifest: string): { entries: VariantEntry[] } | { problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path.join(root, manifest), "utf8"));
  } catch (error) {
    return { problem: `${manifest} is not valid JSON (${(error as Error).message})` };
  }
  const parsed = z.array(variantEntrySchema).safeParse(raw);
  if (parsed.success) return { entries: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { problem: `${manifest}${issue.path.length ? ` at ${issue.path.join(".")}` : ""}: ${issue.message}` };
}
