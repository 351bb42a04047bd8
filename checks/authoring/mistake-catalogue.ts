import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { Lesson } from "../learner/workbook/lessons.ts";
import { stubPath } from "../learner/workbook/lessons.ts";
import { type HunkFailure, type Patch, applyPatch, parsePatch } from "./patch.ts";
import type { RunResult } from "../learner/runner/run-tests.ts";
import { summarize } from "../learner/check/check-lesson.ts";
import { type Problem, firstProblem } from "../learner/check/first-problem.ts";
import type { TypeDiagnostic } from "../learner/check/typecheck.ts";

// The mistake catalogue: for each lesson, mistakes learners really make, each stored as a patch
// against the reference behind the stub it stands in for: the reference plus one realistic
// change. `npm run verify` applies each patch, serves the result in place of its stub and proves
// the lesson's tests catch it, and that the first failure a learner would see points at the cause.
// A patch holds only its change, so the catalogue cannot silently fall behind its references: a
// refactor elsewhere in a reference still lets the patch apply, and one under the mistake's lines
// makes verify say which mistake to recreate. It lives in checks/authoring/mistakes/<lesson folder>/,
// out of the folders a learner edits, and no learner command (hint, diff, solve) ever reads it.

const mistakesDir = "checks/authoring/mistakes";
/** The fewest mistakes a lesson's catalogue may hold. */
export const minimumMistakes = 6;

const oneLine = (text: string) => !/[\r\n]/.test(text);

/** What a trainer's room groups learners by: a few words, such as "allow while count < max". */
const titleSchema = z
  .string()
  .min(3)
  .max(48)
  .refine(oneLine, "must be one line")
  .refine((title) => !title.endsWith("."), "is a title: no full stop at its end");

/**
 * What a learner reads under a failure that looks like this mistake: spoken to them, saying what
 * they likely did and where to look. The line starts "This looks like a known mistake:", so it
 * never names the catalogue; and it never quotes the reference's lines (loadMistake checks that).
 */
const learnerNoteSchema = z
  .string()
  .min(20)
  .max(240)
  .refine(oneLine, "must be one line")
  .refine((note) => /\byou(r|rs)?\b/i.test(note), "speaks to the learner: say what you or your code seem to do")
  .refine((note) => !/catalog/i.test(note), "must not name the catalogue, which learners never see");

const mistakeEntrySchema = z.strictObject({
  file: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*\.patch$/, "must be a kebab-case .patch file name in the catalogue's folder"),
  stub: z.string().min(1),
  title: titleSchema,
  /** For maintainers: what the mistake gets wrong and why it matters. */
  note: z.string().min(1),
  learnerNote: learnerNoteSchema,
  firstFailure: z.union([z.strictObject({ test: z.string().min(1) }), z.strictObject({ message: z.string().min(1) })]),
});

export type MistakeEntry = z.infer<typeof mistakeEntrySchema>;

export interface Mistake extends MistakeEntry {
  /** The mistake's patch, relative to the root, e.g. "checks/authoring/mistakes/lesson-6-rate-limiter/x.patch". */
  path: string;
  /** The stub it stands in for, relative to the root. */
  stubFile: string;
  /** The reference its patch applies to, relative to the root. */
  reference: string;
  /** The stub's full text with the mistake made: the reference with the patch applied. */
  content: string;
}

export interface Catalogue {
  mistakes: Mistake[];
  /** What is wrong with the catalogue itself: each one fails the lesson. */
  problems: string[];
  /** What is worth saying but fails nothing: drafts of `npm run mistake -- edit` not saved yet. */
  warnings: string[];
}

/** Whether this workbook keeps a mistake catalogue at all (a workbook without one has nothing to prove). */
export function hasCatalogues(root: string): boolean {
  return existsSync(path.join(root, mistakesDir));
}

export function catalogueDir(lesson: Lesson): string {
  return `${mistakesDir}/${lesson.folder}`;
}

export function catalogueManifest(lesson: Lesson): string {
  return `${catalogueDir(lesson)}/mistakes.json`;
}

/** A mistake's name: its patch's file name without ".patch", as `npm run mistake` takes it. */
export function mistakeName(file: string): string {
  return file.replace(/\.(patch|ts)$/, "");
}

/** The draft `npm run mistake -- edit` writes: the mistake's full text, beside its patch. */
export function draftPath(lesson: Lesson, name: string): string {
  return `${catalogueDir(lesson)}/${name}.ts`;
}

export function loadCatalogue(root: string, lesson: Lesson): Catalogue {
  const manifest = catalogueManifest(lesson);
  if (!existsSync(path.join(root, manifest))) {
    return {
      mistakes: [],
      problems: [`has no mistake catalogue: add ${manifest} with at least ${minimumMistakes} mistakes`],
      warnings: [],
    };
  }
  const read = readMistakeEntries(root, lesson);
  if ("problem" in read) return { mistakes: [], problems: [read.problem], warnings: [] };
  const problems: string[] = [];
  const mistakes: Mistake[] = [];
  const seen = new Set<string>();
  for (const entry of read.entries) {
    if (seen.has(entry.file)) problems.push(`${manifest} lists ${entry.file} twice`);
    seen.add(entry.file);
    const loaded = loadMistake(root, lesson, entry);
    if ("problem" in loaded) problems.push(loaded.problem);
    else mistakes.push(loaded.mistake);
  }
  const strays = strayFiles(root, lesson, seen);
  problems.push(...strays.problems);
  if (read.entries.length < minimumMistakes)
    problems.push(`${manifest} holds ${read.entries.length} mistakes; a lesson needs at least ${minimumMistakes}`);
  return { mistakes, problems, warnings: strays.warnings };
}

/** The entries of the lesson's mistakes.json, which must exist. */
export function readMistakeEntries(root: string, lesson: Lesson): { entries: MistakeEntry[] } | { problem: string } {
  const manifest = catalogueManifest(lesson);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path.join(root, manifest), "utf8"));
  } catch (error) {
    return { problem: `${manifest} is not valid JSON (${(error as Error).message})` };
  }
  const parsed = z.array(mistakeEntrySchema).safeParse(raw);
  if (parsed.success) return { entries: parsed.data };
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length ? ` at ${issue.path.join(".")}` : "";
  return { problem: `${manifest}${where}: ${issue.message}` };
}

/** One entry's mistake: its reference with its patch applied, or what stops that, and what to do. */
function loadMistake(root: string, lesson: Lesson, entry: MistakeEntry): { mistake: Mistake } | { problem: string } {
  const file = `${catalogueDir(lesson)}/${entry.file}`;
  const stub = lesson.files.find((candidate) => candidate.stub === entry.stub);
  if (!stub) {
    const stubs = lesson.files.map((candidate) => candidate.stub).join(", ");
    return { problem: `${file} replaces "${entry.stub}", which is not one of the lesson's stubs (${stubs})` };
  }
  const name = mistakeName(entry.file);
  if (!existsSync(path.join(root, file)))
    return {
      problem: `${file} does not exist: write it with ${editCommand(lesson, name)}, then ${saveCommand(lesson, name)}`,
    };
  if (!existsSync(path.join(root, stub.reference)))
    return { problem: `${file} cannot be applied: its reference ${stub.reference} does not exist` };
  const read = (file: string) => readFileSync(path.join(root, file), "utf8");
  const patched = patchReference(read(file), stub.reference, read(stub.reference));
  if (!patched.ok) {
    const recreate = `recreate it with ${editCommand(lesson, name)} (it keeps what still applies and shows the rest)`;
    return {
      problem: `${file} ${patched.problem}; ${recreate}, make the change again, then ${saveCommand(lesson, name)}`,
    };
  }
  const quoted = quotedFix(entry.learnerNote, read(stub.reference), patched.text);
  if (quoted !== undefined) {
    const quotes = `a learnerNote that quotes the reference's “${quoted}”`;
    return { problem: `${catalogueManifest(lesson)} gives ${name} ${quotes}: say where to look, not the fix` };
  }
  const mistake = { ...entry, path: file, stubFile: stubPath(lesson, stub), reference: stub.reference };
  return { mistake: { ...mistake, content: patched.text } };
}

/** A line of the reference that the mistake changes, quoted in the note: the fix, handed over. */
function quotedFix(note: string, reference: string, mistake: string): string | undefined {
  const lines = (text: string) => text.split("\n").map((line) => line.trim());
  const kept = new Set(lines(mistake));
  // Short lines ("}", "return null;") say nothing of the fix on their own.
  return lines(reference).find((line) => line.length >= 12 && !kept.has(line) && note.includes(line));
}

/** The patch, read and checked to name the reference; else what is wrong, to follow the patch's name in a sentence. */
export function readPatch(
  patchText: string,
  reference: string,
): { ok: true; patch: Patch } | { ok: false; problem: string } {
  const parsed = parsePatch(patchText);
  if (!parsed.ok)
    return { ok: false, problem: `cannot be read as a patch at its line ${parsed.line}: ${parsed.reason}` };
  const named = [parsed.patch.oldFile, parsed.patch.newFile].find((name) => name !== reference);
  if (named !== undefined) return { ok: false, problem: `patches ${named}, not its reference ${reference}` };
  return parsed;
}

/** The reference with the patch applied; else what is wrong, to follow the patch's name in a sentence. */
export function patchReference(
  patchText: string,
  reference: string,
  referenceText: string,
): { ok: true; text: string } | { ok: false; problem: string } {
  const read = readPatch(patchText, reference);
  if (!read.ok) return read;
  const applied = applyPatch(read.patch, referenceText);
  return applied.ok ? applied : { ok: false, problem: hunkProblem(read.patch, reference, applied) };
}

export function hunkProblem(patch: Patch, reference: string, { hunk, ...failure }: HunkFailure): string {
  const of = patch.hunks.length > 1 ? ` of ${patch.hunks.length}` : "";
  const at = `at hunk ${hunk.number}${of} (written for line ${hunk.oldStart})`;
  if (failure.kind === "no-match") return `no longer applies to ${reference} ${at}: the reference changed there`;
  return `no longer applies to ${reference} ${at}: its lines now occur at lines ${failure.lines.join(", ")}`;
}

export function editCommand(lesson: Lesson, name: string): string {
  return `\`npm run mistake -- edit ${lesson.id} ${name}\``;
}

/** With the stub when the catalogue cannot tell it: a new mistake in a lesson with several stubs. */
export function saveCommand(lesson: Lesson, name: string, stub?: string): string {
  return `\`npm run mistake -- save ${lesson.id} ${name}${stub === undefined ? "" : ` --stub ${stub}`}\``;
}

/** Patches the manifest does not list (a problem) and drafts not saved yet (a warning). */
function strayFiles(root: string, lesson: Lesson, listed: Set<string>) {
  const dir = catalogueDir(lesson);
  const names = readdirSync(path.join(root, dir));
  const problems = names
    .filter((name) => name.endsWith(".patch") && !listed.has(name))
    .map((name) => `${dir}/${name} is not listed in ${catalogueManifest(lesson)}`);
  const warnings = names
    .filter((name) => name.endsWith(".ts"))
    .map((name) => {
      const save = saveCommand(lesson, mistakeName(name));
      return `${dir}/${name} is a draft that verify does not use: save it as its patch with ${save}, or delete it`;
    });
  return { problems, warnings };
}

/** What the learner sees first when a mistake stands in for the stub: as `npm run check` orders it. */
/** The type error a mistake must not have, else the first problem a learner sees: exactly `npm run check`'s. */
export type FirstFailure = { kind: "type"; diagnostic: TypeDiagnostic } | Problem;

/**
 * What a learner with this mistake in place sees first. A mistake must type-check where its stub
 * sits (its first type error says why it does not); past that, the one rule `npm run check` and
 * watch mode use, so verify proves what learners are shown.
 */
export function firstFailureOf(lesson: Lesson, run: RunResult, typeErrors: TypeDiagnostic[]): FirstFailure | undefined {
  const typeError = typeErrors[0];
  if (typeError) return { kind: "type", diagnostic: typeError };
  return firstProblem(summarize(lesson, run, []));
}

export type MistakeVerdict = { caught: true } | { caught: false; reason: string };

/** Whether the tests caught the mistake, and caught it where its catalogue entry says the learner should look. */
export function judgeMistake(mistake: Mistake, first: FirstFailure | undefined): MistakeVerdict {
  if (!first) return { caught: false, reason: "every test passes" };
  const expected = mistake.firstFailure;
  const wanted =
    "test" in expected ? `a test named like “${expected.test}”` : `a message containing “${expected.message}”`;
  const notCaught = (what: string) => ({ caught: false as const, reason: `${what}, not ${wanted}` });
  switch (first.kind) {
    case "type":
    case "syntax": {
      const { line, message } = first.diagnostic;
      return { caught: false, reason: `it does not type-check at ${mistake.stubFile}:${line}: ${firstLine(message)}` };
    }
    case "no-tests":
      return notCaught("no tests ran");
    case "test": {
      const { test } = first;
      const message = test.failure?.message ?? "";
      const matches = "test" in expected ? contains(test.fullName, expected.test) : contains(message, expected.message);
      return matches
        ? { caught: true }
        : notCaught(`the first failure is “${test.fullName}” (${firstLine(message.trim())})`);
    }
    default: {
      // Shown before any test (a stopped run, a file that cannot load, an error outside any test):
      // only its message can point at the cause.
      const { what, message } = shownBeforeTests(first);
      if ("message" in expected && contains(message, expected.message)) return { caught: true };
      return notCaught(`${what}: ${firstLine(message.trim())}`);
    }
  }
}

function shownBeforeTests(problem: Extract<Problem, { kind: "aborted" | "unhandled" | "load" }>) {
  if (problem.kind === "aborted") {
    const { kind, file, test } = problem.aborted;
    return {
      what: `${file || "the tests"} stopped`,
      message: `the tests were stopped (${kind})${test ? ` at “${test}”` : ""}`,
    };
  }
  if (problem.kind === "unhandled") {
    const { failure } = problem.unhandled;
    return { what: `an error outside any test comes first (${failure.errorName})`, message: failure.message };
  }
  const { file, failure } = problem.error;
  return {
    what: file ? `${file} cannot load` : `an error outside any test comes first (${failure.errorName})`,
    message: failure.message,
  };
}

function contains(text: string, words: string): boolean {
  const squash = (s: string) => s.replace(/\s+/g, " ").toLowerCase();
  return squash(text).includes(squash(words));
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? "";
}
