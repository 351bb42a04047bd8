import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { Lesson } from "../learner/workbook/lessons.ts";
import { stubPath } from "../learner/workbook/lessons.ts";
import type { FileError, RunResult, TestOutcome } from "../learner/runner/run-tests.ts";
import type { TypeDiagnostic } from "../learner/check/typecheck.ts";

// The mistake catalogue: for each lesson, complete implementations of its stub that each make one
// mistake learners really make. `npm run verify` serves each one in place of its stub and proves
// the lesson's tests catch it, and that the first failure a learner would see points at the cause.
// It lives in checks/authoring/mistakes/<lesson folder>/, out of the folders a learner edits, and no
// learner command (hint, diff, solve) ever reads it.

export const mistakesDir = "checks/authoring/mistakes";
/** The fewest mistakes a lesson's catalogue may hold. */
export const minimumMistakes = 6;

export const mistakeEntrySchema = z.strictObject({
  file: z.string().regex(/^[a-z0-9][a-z0-9-]*\.ts$/, "must be a kebab-case .ts file name in the catalogue's folder"),
  stub: z.string().min(1),
  note: z.string().min(1),
  firstFailure: z.union([z.strictObject({ test: z.string().min(1) }), z.strictObject({ message: z.string().min(1) })]),
});

export type MistakeEntry = z.infer<typeof mistakeEntrySchema>;

export interface Mistake extends MistakeEntry {
  /** The mistake's file, relative to the root: "checks/authoring/mistakes/lesson-6-rate-limiter/map-never-forgets.ts". */
  path: string;
  /** The stub it stands in for, relative to the root. */
  stubFile: string;
  content: string;
}

export interface Catalogue {
  mistakes: Mistake[];
  /** What is wrong with the catalogue itself: each one fails the lesson. */
  problems: string[];
}

/** Whether this workbook keeps a mistake catalogue at all (a workbook without one has nothing to prove). */
export function hasCatalogues(root: string): boolean {
  return existsSync(path.join(root, mistakesDir));
}

export function catalogueDir(lesson: Lesson): string {
  return `${mistakesDir}/${lesson.folder}`;
}

export function loadCatalogue(root: string, lesson: Lesson): Catalogue {
  const dir = catalogueDir(lesson);
  const manifest = `${dir}/mistakes.json`;
  if (!existsSync(path.join(root, manifest))) {
    return {
      mistakes: [],
      problems: [`has no mistake catalogue: add ${manifest} with at least ${minimumMistakes} mistakes`],
    };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path.join(root, manifest), "utf8"));
  } catch (error) {
    return { mistakes: [], problems: [`${manifest} is not valid JSON (${(error as Error).message})`] };
  }
  const parsed = z.array(mistakeEntrySchema).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? ` at ${issue.path.join(".")}` : "";
    return { mistakes: [], problems: [`${manifest}${where}: ${issue.message}`] };
  }
  const problems: string[] = [];
  const mistakes: Mistake[] = [];
  const stubs = new Map(lesson.files.map((file) => [file.stub, stubPath(lesson, file)]));
  const seen = new Set<string>();
  for (const entry of parsed.data) {
    const file = `${dir}/${entry.file}`;
    if (seen.has(entry.file)) problems.push(`${manifest} lists ${entry.file} twice`);
    seen.add(entry.file);
    const stubFile = stubs.get(entry.stub);
    if (!stubFile) {
      problems.push(
        `${file} replaces "${entry.stub}", which is not one of the lesson's stubs (${[...stubs.keys()].join(", ")})`,
      );
      continue;
    }
    if (!existsSync(path.join(root, file))) {
      problems.push(`${file} does not exist`);
      continue;
    }
    const content = readFileSync(path.join(root, file), "utf8");
    if (!/^\s*\/\/\s*\S/.test(content)) problems.push(`${file} must start with a comment line that states its mistake`);
    mistakes.push({ ...entry, path: file, stubFile, content });
  }
  const listed = new Set(parsed.data.map((entry) => entry.file));
  const unlisted = readdirSync(path.join(root, dir)).filter((name) => name.endsWith(".ts") && !listed.has(name));
  for (const name of unlisted) problems.push(`${dir}/${name} is not listed in ${manifest}`);
  if (parsed.data.length < minimumMistakes)
    problems.push(`${manifest} holds ${parsed.data.length} mistakes; a lesson needs at least ${minimumMistakes}`);
  return { mistakes, problems };
}

/** What the learner sees first when a mistake stands in for the stub: as `npm run check` orders it. */
export type FirstFailure =
  | { kind: "type"; diagnostic: TypeDiagnostic }
  | { kind: "load"; error: FileError }
  | { kind: "test"; test: TestOutcome };

export function firstFailureOf(lesson: Lesson, run: RunResult, typeErrors: TypeDiagnostic[]): FirstFailure | undefined {
  const typeError = typeErrors[0];
  if (typeError) return { kind: "type", diagnostic: typeError };
  // As `npm run check` orders them: a run stopped by its time or memory limit, a file that cannot
  // load, then an error outside any test (an unhandled rejection), then the tests.
  if (run.aborted) {
    const { kind, file, test } = run.aborted;
    return {
      kind: "load",
      error: {
        file,
        failure: { errorName: "Aborted", message: `the tests were stopped (${kind})${test ? ` at “${test}”` : ""}` },
      },
    };
  }
  const loadError = run.fileErrors[0];
  if (loadError) return { kind: "load", error: loadError };
  const unhandled = run.unhandled?.[0];
  if (unhandled) return { kind: "load", error: { file: "", failure: unhandled.failure } };
  // Test files in the manifest's order, each file's tests in the order they ran.
  const order = lesson.tests.map((test) => `${lesson.dir}/${test}`);
  const rank = (test: TestOutcome) => (order.indexOf(test.file) + order.length + 1) % (order.length + 1);
  const failing = run.tests.filter((test) => test.status === "failed");
  const first = failing.map((test, i) => ({ test, i })).sort((a, b) => rank(a.test) - rank(b.test) || a.i - b.i)[0];
  return first && { kind: "test", test: first.test };
}

export type MistakeVerdict = { caught: true } | { caught: false; reason: string };

/** Whether the tests caught the mistake, and caught it where its catalogue entry says the learner should look. */
export function judgeMistake(mistake: Mistake, first: FirstFailure | undefined): MistakeVerdict {
  if (!first) return { caught: false, reason: "every test passes" };
  if (first.kind === "type")
    return {
      caught: false,
      reason: `it does not type-check at ${mistake.stubFile}:${first.diagnostic.line}: ${firstLine(first.diagnostic.message)}`,
    };
  const expected = mistake.firstFailure;
  const wanted =
    "test" in expected ? `a test named like “${expected.test}”` : `a message containing “${expected.message}”`;
  if (first.kind === "load") {
    // An error outside any test (an unhandled rejection) is shown before any test: only its message can point at the cause.
    const { file, failure } = first.error;
    if ("message" in expected && contains(failure.message, expected.message)) return { caught: true };
    const what = file ? `${file} cannot load` : `an error outside any test comes first (${failure.errorName})`;
    return { caught: false, reason: `${what}: ${firstLine(failure.message.trim())}, not ${wanted}` };
  }
  const { test } = first;
  const message = test.failure?.message ?? "";
  const matches = "test" in expected ? contains(test.fullName, expected.test) : contains(message, expected.message);
  if (matches) return { caught: true };
  return {
    caught: false,
    reason: `the first failure is “${test.fullName}” (${firstLine(message.trim())}), not ${wanted}`,
  };
}

function contains(text: string, words: string): boolean {
  const squash = (s: string) => s.replace(/\s+/g, " ").toLowerCase();
  return squash(text).includes(squash(words));
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? "";
}
