import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { type Lesson, testPaths } from "../workbook/lessons.ts";

// What the workbook knows of the mistakes learners make in a lesson, and exactly how each one
// fails its tests: one file per lesson, checks/learner/diagnosis/known-mistakes/<lesson folder>.json,
// written by `npm run verify -- --record` from the maintainers' mistake catalogue. The learner's
// CLI reads only this file, by path, at run time: it never imports the authoring tools or reads
// the catalogue (its patches, its maintainers' notes), so the catalogue's format can change freely,
// and this file holds no more than a learner may be shown. Verify fails while it is out of date.

const knownMistakesDir = "checks/learner/diagnosis/known-mistakes";

const testFile = z.string().regex(/^[\w.-]+\.test\.ts$/, "must be a test file of the lesson's folder");

/** What a learner sees first when the mistake is made: a failing test, or an error outside any test. */
const firstSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("test"), file: testFile, test: z.string().min(1), error: z.string().min(1) }),
  z.strictObject({ kind: z.literal("unhandled"), error: z.string().min(1), message: z.string() }),
]);

/** How a mistake fails: its first problem, and every failing test of the test files that import its stub. */
const signatureSchema = z.strictObject({
  /** The test files compared: those that import the mistake's stub (the others cannot reach it). */
  files: z.array(testFile).min(1),
  /** What a learner sees first: one of these (a mistake that races may show one or another). */
  first: z.array(firstSchema).min(1),
  /** Per test file, the full names of its failing tests, sorted; a file where none fails is left out. */
  failing: z.record(testFile, z.array(z.string().min(1)).min(1)),
  /**
   * Tests seen both failing and passing under the mistake (one that races, such as a promise not
   * awaited): how they fare says nothing, so they are left out of the comparison.
   */
  sometimes: z.record(testFile, z.array(z.string().min(1)).min(1)).optional(),
});

const knownMistakeSchema = z.strictObject({
  /** The mistake's name: its catalogue file's name without the extension. */
  mistake: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  /** The stub it is made in, as the lesson's manifest names it. */
  stub: z.string().min(1),
  /** A few words a trainer's room groups learners by. */
  title: z.string().min(1),
  /** What the learner reads: spoken to them, where to look. */
  note: z.string().min(1),
  /**
   * A digest of the mistake's code when it was recorded: a new recording adds to what an earlier
   * one saw (tests that go either way) only while this and the lesson's tests are the same.
   */
  source: z.string().regex(/^[0-9a-f]{16}$/),
  signature: signatureSchema,
});

export const knownMistakesSchema = z.strictObject({
  lesson: z.string().regex(/^lesson-\d+$/),
  /** The lesson's test files as they were when the signatures were taken (testsKey): other tests, other failures. */
  tests: z.string().regex(/^[0-9a-f]{16}$/),
  mistakes: z.array(knownMistakeSchema),
});

export type Signature = z.infer<typeof signatureSchema>;
export type KnownMistake = z.infer<typeof knownMistakeSchema>;
export type KnownMistakes = z.infer<typeof knownMistakesSchema>;

/** What a check says of a failure that matches one known mistake. */
export type Diagnosis = Pick<KnownMistake, "mistake" | "title" | "note">;

export function knownMistakesFile(lesson: Pick<Lesson, "folder">): string {
  return `${knownMistakesDir}/${lesson.folder}.json`;
}

/** Each lesson's file as read once in this process (watch mode checks again and again). */
const loaded = new Map<string, KnownMistakes | undefined>();

/**
 * The lesson's known mistakes, read once per process; none when the file is missing or not
 * valid: a diagnosis is a help, never a reason for a check to fail (verify keeps the file valid).
 */
export function loadKnownMistakes(root: string, lesson: Lesson): KnownMistakes | undefined {
  const file = path.join(root, knownMistakesFile(lesson));
  if (!loaded.has(file)) loaded.set(file, readKnownMistakes(file, lesson));
  return loaded.get(file);
}

function readKnownMistakes(file: string, lesson: Lesson): KnownMistakes | undefined {
  try {
    const parsed = knownMistakesSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
    return parsed.success && parsed.data.lesson === lesson.id ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Each test file's digest, kept while its size and time of change stay the same. */
const digests = new Map<string, { mtimeMs: number; size: number; digest: string }>();

/**
 * A short digest of the lesson's test files (names and contents, in the manifest's order), so a
 * signature is only trusted against the tests it was taken from. Line ends are made "\n" first:
 * a checkout on Windows turns them into "\r\n", and the tests are the same tests.
 */
export function testsKey(root: string, lesson: Lesson): string | undefined {
  const hash = createHash("sha256");
  for (const test of testPaths(lesson)) {
    const digest = fileDigest(path.join(root, test));
    if (digest === undefined) return undefined;
    hash.update(`${path.posix.basename(test)}\0${digest}\0`);
  }
  return hash.digest("hex").slice(0, 16);
}

function fileDigest(file: string): string | undefined {
  try {
    const { mtimeMs, size } = statSync(file);
    const known = digests.get(file);
    if (known && known.mtimeMs === mtimeMs && known.size === size) return known.digest;
    const text = readFileSync(file, "utf8").replace(/\r\n/g, "\n");
    const digest = createHash("sha256").update(text).digest("hex");
    digests.set(file, { mtimeMs, size, digest });
    return digest;
  } catch {
    return undefined;
  }
}
