import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ParsedArgs } from "../learner/cli/args.ts";
import { UserError } from "../learner/cli/user-error.ts";
import { type Context, openWorkbook } from "../learner/cli/context.ts";
import type { Lesson, LessonFile } from "../learner/workbook/lessons.ts";
import {
  type MistakeEntry,
  catalogueDir,
  catalogueManifest,
  draftPath,
  editCommand,
  hunkProblem,
  mistakeName,
  readMistakeEntries,
  readPatch,
  saveCommand,
} from "./mistake-catalogue.ts";
import { applyWhatApplies, createPatch } from "./patch.ts";
import { readVariantEntries, variantsDir } from "./variants.ts";

// npm run mistake -- edit|save <lesson> <name> [--stub <file>]: how a maintainer adds or changes a
// catalogued mistake without writing a diff by hand. `edit` writes the mistake's full text (the
// reference with its patch applied; the reference alone for a new mistake) to <name>.ts beside
// the patch, where an editor type-checks it like any file of the project; `save` turns that draft
// back into <name>.patch, the diff from the reference, and deletes the draft. Drafts are
// git-ignored, and verify warns about one left behind, since it only ever reads the patches.

const mistakeUsage = "npm run mistake -- edit|save <lesson> <name> [--stub <file>] [--variant-of <mistake>]";

interface Target {
  lesson: Lesson;
  name: string;
  /** A catalogued mistake, or a variant of one (variants.ts): another version of its misconception. */
  kind: "mistake" | "variant";
  /** Whether its manifest (mistakes.json, variants.json) lists it already; else what to list once it is saved. */
  listed: boolean;
  listing: Record<string, unknown>;
  manifest: string;
  file: LessonFile;
  patch: string;
  draft: string;
  /** How the commands name it: `edit lesson-6 name`, with `--variant-of …` for a variant. */
  command: (action: "edit" | "save", stub?: string) => string;
}

export async function mistake(ctx: Context, args: ParsedArgs): Promise<number> {
  const [action, lessonName, name] = args.positionals;
  if ((action !== "edit" && action !== "save") || lessonName === undefined || name === undefined)
    throw new UserError(`Say what to do with which mistake. Usage: ${mistakeUsage}`);
  const lesson = openWorkbook(ctx).lesson(lessonName);
  const of = args.options.get("variant-of");
  const target =
    of === undefined
      ? findTarget(ctx.root, lesson, name, args.options.get("stub"))
      : variantTarget(ctx.root, lesson, name, of);
  if (action === "edit") editMistake(ctx, target);
  else saveMistake(ctx, target);
  return 0;
}

function findTarget(root: string, lesson: Lesson, given: string, stubOption: string | undefined): Target {
  const name = mistakeName(path.basename(given));
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name))
    throw new UserError(`"${given}" cannot name a mistake: use kebab-case, like window-ends-a-millisecond-late.`);
  const entry = catalogueEntries(root, lesson).find((candidate) => candidate.file === `${name}.patch`);
  const stubs = lesson.files.map((file) => file.stub);
  if (entry && stubOption !== undefined && stubOption !== entry.stub)
    throw new UserError(`${catalogueManifest(lesson)} lists ${name} for ${entry.stub}, not ${stubOption}.`);
  const stub = entry?.stub ?? stubOption ?? (stubs.length === 1 ? stubs[0] : undefined);
  if (stub === undefined)
    throw new UserError(`${lesson.id} has several stubs (${stubs.join(", ")}): say which one with --stub <file>.`);
  const file = lesson.files.find((candidate) => candidate.stub === stub);
  if (!file) throw new UserError(`${stub} is not one of ${lesson.id}'s stubs (${stubs.join(", ")}).`);
  if (!existsSync(path.join(root, file.reference)))
    throw new UserError(`The reference ${file.reference} does not exist, so there is nothing to patch.`);
  const listing = {
    file: `${name}.patch`,
    stub: file.stub,
    title: "…",
    note: "…",
    learnerNote: "…",
    firstFailure: { test: "…" },
  };
  return {
    lesson,
    name,
    kind: "mistake",
    listed: entry !== undefined,
    listing,
    manifest: catalogueManifest(lesson),
    file,
    patch: `${catalogueDir(lesson)}/${name}.patch`,
    draft: draftPath(lesson, name),
    command: (action, stub) => (action === "edit" ? editCommand(lesson, name) : saveCommand(lesson, name, stub)),
  };
}

/** A variant of a catalogued mistake: in its stub, against its reference, in the variants' folder. */
function variantTarget(root: string, lesson: Lesson, given: string, of: string): Target {
  const name = mistakeName(path.basename(given));
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name))
    throw new UserError(`"${given}" cannot name a variant: use kebab-case, like window-ends-after-reset-at.`);
  const mistake = catalogueEntries(root, lesson).find((candidate) => candidate.file === `${of}.patch`);
  if (!mistake)
    throw new UserError(`${of} is not in ${catalogueManifest(lesson)}: a variant is another version of one.`);
  const file = lesson.files.find((candidate) => candidate.stub === mistake.stub)!;
  const dir = variantsDir(lesson);
  const manifest = `${dir}/variants.json`;
  const read = existsSync(path.join(root, manifest)) ? readVariantEntries(root, manifest) : { entries: [] };
  if ("problem" in read) throw new UserError(`${read.problem}: fix it first.`);
  const suffix = ` --variant-of ${of}\``;
  return {
    lesson,
    name,
    kind: "variant",
    manifest,
    file,
    patch: `${dir}/${name}.patch`,
    draft: `${dir}/${name}.ts`,
    listed: read.entries.some((entry) => entry.file === `${name}.patch` && entry.of === of),
    listing: { file: `${name}.patch`, of, how: "…" },
    command: (action) =>
      (action === "edit" ? editCommand(lesson, name) : saveCommand(lesson, name)).replace(/`$/, suffix),
  };
}

/** The lesson's catalogue entries: none while it has no mistakes.json; a broken one must be fixed first. */
function catalogueEntries(root: string, lesson: Lesson): MistakeEntry[] {
  if (!existsSync(path.join(root, catalogueManifest(lesson)))) return [];
  const read = readMistakeEntries(root, lesson);
  if ("problem" in read) throw new UserError(`${read.problem}: fix it first.`);
  return read.entries;
}

function editMistake(ctx: Context, target: Target): void {
  const { lesson, name, kind, file, patch, draft } = target;
  const absolute = (file: string) => path.join(ctx.root, file);
  if (existsSync(absolute(draft)))
    throw new UserError(
      `${draft} is already there: save it with ${target.command("save")}, or delete it to start over.`,
    );
  const reference = readFileSync(absolute(file.reference), "utf8");
  // The lesson's first mistake starts its catalogue's folder.
  mkdirSync(path.dirname(absolute(draft)), { recursive: true });
  if (!existsSync(absolute(patch))) {
    writeFileSync(absolute(draft), reference);
    ctx.out.line(`Wrote ${draft}: ${file.reference} as it is, for a new ${kind} in ${file.stub}.`);
  } else {
    writeFileSync(absolute(draft), draftText(ctx, target, reference));
    ctx.out.line(`Wrote ${draft}: the ${kind} ${name} in full, as it stands in for ${file.stub}.`);
  }
  const stub = target.listed || kind === "variant" || lesson.files.length === 1 ? undefined : file.stub;
  ctx.out.line(`Make the one change the ${kind} is about, then ${target.command("save", stub)}.`);
}

/**
 * The reference with as much of the patch as still applies; what does not is shown, to be done
 * again (on stdout with the rest, so that the hunks follow the line that introduces them).
 */
function draftText(ctx: Context, { patch, file }: Target, reference: string): string {
  const read = readPatch(readFileSync(path.join(ctx.root, patch), "utf8"), file.reference);
  if (!read.ok) {
    ctx.out.line(`${patch} ${read.problem}: the draft is the reference as it is; make the change again.`);
    return reference;
  }
  const { text, failed } = applyWhatApplies(read.patch, reference);
  for (const failure of failed) {
    ctx.out.line(`${patch} ${hunkProblem(read.patch, file.reference, failure)}; make this change again by hand:`);
    for (const line of failure.hunk.text) ctx.out.line(`    ${line}`);
  }
  return text;
}

function saveMistake(ctx: Context, target: Target): void {
  const { lesson, kind, file, patch, draft } = target;
  const absolute = (file: string) => path.join(ctx.root, file);
  if (!existsSync(absolute(draft)))
    throw new UserError(`There is no draft ${draft} to save: ${target.command("edit")} writes it.`);
  const diff = createPatch(
    file.reference,
    readFileSync(absolute(file.reference), "utf8"),
    readFileSync(absolute(draft), "utf8"),
  );
  if (diff === "")
    throw new UserError(`${draft} is the same as ${file.reference}: make the ${kind}'s change in it, then save again.`);
  writeFileSync(absolute(patch), diff);
  rmSync(absolute(draft));
  // Past the two lines that name the file, a line starting with - or + is a change.
  const changed = diff
    .split("\n")
    .slice(2)
    .filter((line) => line.startsWith("-") || line.startsWith("+")).length;
  ctx.out.line(`Wrote ${patch} (${changed} changed lines) and deleted the draft.`);
  if (!target.listed) {
    const what =
      kind === "mistake"
        ? "a title for the room, what it gets wrong, what a learner reads (to them), and where they see it first"
        : "the mistake it is a version of, and how it differs from the catalogued one";
    ctx.out.line(`List it in ${target.manifest}: ${what}:`);
    ctx.out.line(`  ${JSON.stringify(target.listing)}`);
  }
  ctx.out.line(`Next: npm run verify -- --lesson ${lesson.id}`);
}
