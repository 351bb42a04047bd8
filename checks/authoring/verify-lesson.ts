import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { lessonFiles } from "../learner/check/check-lesson.ts";
import { formatLocation } from "../learner/check/first-problem.ts";
import { notesForLesson } from "../learner/check/passes-but.ts";
import { typecheck, type TypeDiagnostic } from "../learner/check/typecheck.ts";
import type { RunResult, TestOutcome } from "../learner/runner/run-tests.ts";
import { type Lesson, testPaths } from "../learner/workbook/lessons.ts";
import { passNoteMessage } from "../learner/render/passes-but.ts";
import { firstLine } from "../learner/render/text.ts";
import { type PristineStub, createPristineMirror } from "./pristine.ts";

// What verify proves of each lesson itself: its manifest holds together, every test fails on the
// committed stub for the right reason, every test passes on the reference, the stub type-checks,
// and "passes, but…" has nothing to say about the reference.

const allowedOnStub = new Set(["NotImplementedError", "AssertionError"]);

export function manifestProblems(root: string, lesson: Lesson): string[] {
  const problems: string[] = [];
  for (const file of lesson.files) {
    if (!existsSync(path.join(root, file.reference))) problems.push(`the reference ${file.reference} does not exist`);
  }
  for (const test of testPaths(lesson))
    if (!existsSync(path.join(root, test))) problems.push(`the test file ${test} does not exist`);
  if (!existsSync(path.join(root, lesson.dir, "README.md")))
    return [...problems, `${lesson.dir}/README.md does not exist`];
  if (lesson.hints.length !== hintsPerLesson) {
    problems.push(
      `${lesson.dir}/README.md has ${lesson.hints.length} hints in its "Hints" section; ` +
        `a lesson needs ${hintsPerLesson}`,
    );
  }
  // Hints are written once, in the README: a copy in the manifest would drift from it unseen.
  if (Object.hasOwn(readManifest(root, lesson), "hints")) {
    problems.push(
      `${lesson.dir}/lesson.json lists hints: they are read from README.md's "Hints" section, ` +
        'so remove "hints" from lesson.json',
    );
  }
  return problems;
}

const hintsPerLesson = 3;

function readManifest(root: string, lesson: Lesson): object {
  const raw: unknown = JSON.parse(readFileSync(path.join(root, lesson.dir, "lesson.json"), "utf8"));
  return typeof raw === "object" && raw !== null ? raw : {};
}

export function stubProblems(run: RunResult, files: Set<string>): string[] {
  const problems = run.fileErrors
    .filter((e) => files.has(e.file))
    .map((e) => `${e.file} cannot run on the committed stub: ${firstLine(e.failure.message)}`);
  const tests = run.tests.filter((t) => files.has(t.file));
  if (tests.length === 0 && problems.length === 0) problems.push("no tests ran on the committed stub");
  for (const test of tests) {
    if (test.status !== "failed")
      problems.push(
        `“${test.fullName}” ${test.status === "passed" ? "passes" : "is skipped"} on the committed stub (${test.file})`,
      );
    else if (!allowedOnStub.has(test.failure!.errorName)) problems.push(wrongFailure(test));
  }
  return problems;
}

function wrongFailure(test: TestOutcome): string {
  const failure = test.failure!;
  const where = failure.location ? ` at ${formatLocation(failure.location)}` : "";
  const how = `${failure.errorName}${where} (${firstLine(failure.message)})`;
  return `“${test.fullName}” fails on the committed stub through ${how}, not NotImplementedError or an assertion`;
}

export function referenceProblems(run: RunResult, files: Set<string>): string[] {
  const problems = run.fileErrors
    .filter((e) => files.has(e.file))
    .map((e) => `${e.file} cannot run with the reference: ${firstLine(e.failure.message)}`);
  const tests = run.tests.filter((t) => files.has(t.file));
  if (tests.length === 0 && problems.length === 0) problems.push("no tests ran with the reference");
  for (const test of tests.filter((t) => t.status !== "passed")) {
    const where = test.failure?.location ? ` at ${formatLocation(test.failure.location)}` : "";
    const how =
      test.status === "failed" ? `fails with the reference${where}: ${firstLine(test.failure!.message)}` : "is skipped";
    problems.push(`“${test.fullName}” ${how}`);
  }
  return problems;
}

export async function typecheckPristine(
  root: string,
  lessons: Lesson[],
  stubs: PristineStub[],
): Promise<TypeDiagnostic[]> {
  const mirror = createPristineMirror(root, stubs);
  try {
    const files = lessons.flatMap(lessonFiles).map((file) => `${mirror.dir}/${file}`);
    return await typecheck({
      root,
      files,
      rename: (file) => (file.startsWith(`${mirror.dir}/`) ? file.slice(mirror.dir.length + 1) : file),
    });
  } finally {
    mirror.remove();
  }
}

/** A lesson whose manifest's testCount is not the number of tests its files hold. */
export function testCountProblems(lesson: Lesson, tests: number): string[] {
  if (lesson.testCount === undefined || lesson.testCount === tests) return [];
  return [
    `${lesson.dir}/lesson.json says "testCount": ${lesson.testCount}, but its tests hold ${tests}: set it to ${tests}`,
  ];
}

/**
 * "Passes, but…" notes on the reference, read at its stub's path as a learner's copy would be:
 * there must be none, or every learner who writes the lesson as the reference does would be told off.
 */
export function referenceNoteProblems(root: string, lesson: Lesson): string[] {
  try {
    const notes = notesForLesson(root, lesson, (file) => readFileSync(path.join(root, file.reference), "utf8"));
    const read = (note: (typeof notes)[number]) => `${passNoteMessage(note)} (${note.rule})`;
    return notes.map((note) => `"passes, but…" notes the reference, read at ${note.location}: ${read(note)}`);
  } catch (error) {
    return [`"passes, but…" could not read the reference: ${firstLine((error as Error).message)}`];
  }
}
