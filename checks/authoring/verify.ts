import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { ParsedArgs } from "../learner/cli/args.ts";
import { lessonFiles } from "../learner/check/check-lesson.ts";
import { formatLocation } from "../learner/check/first-problem.ts";
import type { Context } from "../learner/cli/context.ts";
import {
  type Lesson,
  type LessonProblem,
  lessonLabel,
  loadLessons,
  resolveLesson,
  testPaths,
} from "../learner/workbook/lessons.ts";
import { symbols } from "../learner/render/output.ts";
import { type PristineStub, createPristineMirror, pristineStubs } from "./pristine.ts";
import {
  type Catalogue,
  type Mistake,
  firstFailureOf,
  hasCatalogues,
  judgeMistake,
  loadCatalogue,
} from "./mistake-catalogue.ts";
import { missingRequirementsLine } from "../learner/render/requirements.ts";
import { missingExecutables, servicesRequired } from "../learner/check/requires.ts";
import {
  type RunResult,
  type TestHost,
  type TestOutcome,
  runTests,
  startTestHost,
  takeTestHost,
} from "../learner/runner/run-tests.ts";
import { type TypeDiagnostic, typecheck } from "../learner/check/typecheck.ts";
import { UserError } from "../learner/cli/user-error.ts";

// npm run verify [--lesson lesson-N] [--json]: proves the workbook's invariants for every lesson.
//  1. every test fails on the committed stub, through NotImplementedError or an assertion, never
//     through an import, syntax, reference or type error;
//  2. every test passes with the reference mapped in place of the stub;
//  3. the committed stub and its tests type-check;
//  4. every mistake in the lesson's catalogue (checks/authoring/mistakes/<lesson folder>/) applies to its
//     reference, type-checks at its stub's path, fails at least one test, and the first failure
//     points at its cause;
//  and the manifest holds together: its files exist, and the README has three hints.
// One vitest run per mode over all lessons (both at once, beside one type-check), not one per
// lesson; then one run per mistake, on two resident hosts that take turns through the catalogue.

const allowedOnStub = new Set(["NotImplementedError", "AssertionError"]);

export interface LessonVerdict {
  id: string;
  label: string;
  tests: number;
  mistakesCaught: number;
  mistakesTotal: number;
  problems: string[];
}

export async function verify(ctx: Context, args: ParsedArgs): Promise<number> {
  const selected = selectLessons(ctx.root, args.options.get("lesson"));
  const { lessons, skipped, brokenFolders } = withRequirements(ctx, selected);
  const verdicts = new Map<string, LessonVerdict>(
    lessons.map((l) => [
      l.id,
      {
        id: l.id,
        label: lessonLabel(l),
        tests: 0,
        mistakesCaught: 0,
        mistakesTotal: 0,
        problems: manifestProblems(ctx.root, l),
      },
    ]),
  );
  const catalogues = new Map<string, Catalogue>(
    hasCatalogues(ctx.root) ? lessons.map((l) => [l.id, loadCatalogue(ctx.root, l)]) : [],
  );
  for (const [id, catalogue] of catalogues) verdicts.get(id)!.problems.push(...catalogue.problems);
  for (const warning of [...catalogues.values()].flatMap((catalogue) => catalogue.warnings)) ctx.out.warn(warning);
  const pristine = new Map<string, PristineStub[]>();
  for (const lesson of lessons) {
    const { stubs, problems } = pristineStubs(ctx.root, lesson);
    pristine.set(lesson.id, stubs);
    verdicts.get(lesson.id)!.problems.push(...problems);
    for (const stub of stubs.filter((s) => s.source === "working"))
      ctx.out.warn(`${stub.reason}: verifying the working copy of ${stub.file}.`);
  }
  // A lesson with a wrong hint still has tests worth running; one without its files has not.
  const runnable = lessons.filter(
    (lesson) =>
      pristine.get(lesson.id)!.length === lesson.files.length &&
      testPaths(lesson).every((test) => existsSync(path.join(ctx.root, test))),
  );
  const stubs = runnable.flatMap((lesson) => pristine.get(lesson.id)!);
  const tests = runnable.flatMap(testPaths);
  const globalProblems: string[] = [];
  const mistakes = runnable.flatMap(
    (lesson) => catalogues.get(lesson.id)?.mistakes.map((mistake) => ({ lesson, mistake })) ?? [],
  );
  const stubHost = runnable.length > 0 ? takeTestHost(ctx.root, "stub") : undefined;
  // Started now, so its start-up overlaps the runs below.
  const secondHost = mistakes.length > 1 ? startTestHost(ctx.root, "stub") : undefined;
  try {
    if (runnable.length > 0) {
      const [onStub, onReference, typeErrors] = await Promise.all([
        stubHost!.run(tests, { pristine: Object.fromEntries(stubs.map((s) => [s.file, s.content])) }),
        runTests(ctx.root, "reference", tests),
        typecheckPristine(ctx.root, runnable, stubs),
      ]);
      for (const lesson of runnable) {
        const verdict = verdicts.get(lesson.id)!;
        const files = new Set(testPaths(lesson));
        verdict.tests = onReference.tests.filter((t) => files.has(t.file)).length;
        if (lesson.testCount !== undefined && lesson.testCount !== verdict.tests)
          verdict.problems.push(
            `${lesson.dir}/lesson.json says "testCount": ${lesson.testCount}, but its tests hold ${verdict.tests}: set it to ${verdict.tests}`,
          );
        verdict.problems.push(
          ...stubProblems(onStub, files),
          ...referenceProblems(onReference, files),
          ...typeErrors
            .filter((d) => d.file.startsWith(`${lesson.dir}/`))
            .map((d) => `type error in the committed stub's files at ${formatLocation(d)}: ${firstLine(d.message)}`),
        );
      }
      const lessonDirs = runnable.map((l) => `${l.dir}/`);
      globalProblems.push(
        ...typeErrors
          .filter((d) => !lessonDirs.some((dir) => d.file.startsWith(dir)))
          .map((d) => `type error at ${formatLocation(d)}: ${firstLine(d.message)}`),
        ...[...(onStub.unhandled ?? []), ...(onReference.unhandled ?? [])].map(
          (u) => `an error outside any test: ${firstLine(u.failure.message)}`,
        ),
        ...[onStub.aborted, onReference.aborted]
          .filter((a) => a !== undefined)
          .map(
            (a) =>
              `the tests were stopped (${a.kind}) in ${a.file || "an unknown file"}${a.test ? `, at “${a.test}”` : ""}`,
          ),
      );
    }
    if (stubHost && mistakes.length > 0) {
      const results = await runCatalogue(ctx.root, mistakes, [stubHost, ...(secondHost ? [secondHost] : [])]);
      for (const { lesson, mistake, verdict } of results) {
        const lessonVerdict = verdicts.get(lesson.id)!;
        lessonVerdict.mistakesTotal++;
        if (verdict.caught) lessonVerdict.mistakesCaught++;
        else
          lessonVerdict.problems.push(`the mistake ${mistake.path} (${mistake.note}) is not caught: ${verdict.reason}`);
      }
    }
  } finally {
    stubHost?.close();
    secondHost?.close();
  }
  const results = [
    ...verdicts.values(),
    ...brokenFolders.map((p) => ({
      id: p.dir,
      label: p.dir,
      tests: 0,
      mistakesCaught: 0,
      mistakesTotal: 0,
      problems: [p.message],
    })),
  ];
  for (const line of skipped) ctx.out.warn(`skipped ${line}`);
  const failed = results.filter((v) => v.problems.length > 0).length + (globalProblems.length > 0 ? 1 : 0);
  const passed = results.filter((v) => v.problems.length === 0).length;
  if (args.flags.has("json")) {
    const report = {
      lessons: results.map((v) => ({ ...v, passed: v.problems.length === 0 })),
      problems: globalProblems,
      passed,
      failed,
    };
    ctx.out.line(JSON.stringify(skipped.length > 0 ? { ...report, skipped } : report));
  } else {
    printVerdicts(ctx, results, globalProblems);
    ctx.out.line(`${passed} passed, ${failed} failed`);
  }
  return failed === 0 ? 0 : 1;
}

function selectLessons(root: string, only: string | undefined): { lessons: Lesson[]; brokenFolders: LessonProblem[] } {
  const catalog = loadLessons(root);
  if (catalog.lessons.length === 0 && catalog.problems.length === 0)
    throw new UserError("No lessons found: lessons/ holds no lesson-N-*/lesson.json.", 1);
  if (!only) return { lessons: catalog.lessons, brokenFolders: catalog.problems };
  const broken = catalog.problems.filter((p) =>
    new RegExp(`^lessons/lesson-${only.replace(/^lesson-/, "")}(-|$)`).test(p.dir),
  );
  if (broken.length > 0) return { lessons: [], brokenFolders: broken };
  return { lessons: [resolveLesson(catalog.lessons, only)], brokenFolders: [] };
}

/**
 * Sets aside the lessons whose required programs (lesson.json "requires") are not installed:
 * skipped with one line each, or, under WORKBOOK_REQUIRE_SERVICES=1 (CI), broken.
 */
function withRequirements(ctx: Context, selected: { lessons: Lesson[]; brokenFolders: LessonProblem[] }) {
  const lessons: Lesson[] = [];
  const skipped: string[] = [];
  const brokenFolders = [...selected.brokenFolders];
  for (const lesson of selected.lessons) {
    const missing = missingExecutables(lesson.requires ?? [], ctx.env);
    if (missing.length === 0) lessons.push(lesson);
    else if (servicesRequired(ctx.env))
      brokenFolders.push({
        dir: lessonLabel(lesson),
        message: `${missingRequirementsLine(lesson, missing, "npm run verify")} (WORKBOOK_REQUIRE_SERVICES is set)`,
      });
    else skipped.push(missingRequirementsLine(lesson, missing, "npm run verify"));
  }
  return { lessons, skipped, brokenFolders };
}

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
      `${lesson.dir}/README.md has ${lesson.hints.length} hints in its "Hints" section; a lesson needs ${hintsPerLesson}`,
    );
  }
  // Hints are written once, in the README: a copy in the manifest would drift from it unseen.
  if (Object.hasOwn(readManifest(root, lesson), "hints")) {
    problems.push(
      `${lesson.dir}/lesson.json lists hints: they are read from README.md's "Hints" section, so remove "hints" from lesson.json`,
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
  return `“${test.fullName}” fails on the committed stub through ${failure.errorName}${where} (${firstLine(failure.message)}), not NotImplementedError or an assertion`;
}

export function referenceProblems(run: RunResult, files: Set<string>): string[] {
  const problems = run.fileErrors
    .filter((e) => files.has(e.file))
    .map((e) => `${e.file} cannot run with the reference: ${firstLine(e.failure.message)}`);
  const tests = run.tests.filter((t) => files.has(t.file));
  if (tests.length === 0 && problems.length === 0) problems.push("no tests ran with the reference");
  for (const test of tests.filter((t) => t.status !== "passed")) {
    const where = test.failure?.location ? ` at ${formatLocation(test.failure.location)}` : "";
    problems.push(
      `“${test.fullName}” ${test.status === "failed" ? `fails with the reference${where}: ${firstLine(test.failure!.message)}` : "is skipped"}`,
    );
  }
  return problems;
}

type CatalogueJob = { lesson: Lesson; mistake: Mistake };

/**
 * Serves each mistake in place of its stub (the lesson's other stubs as their references, as a
 * learner who finished them has them) and runs the lesson's tests: the hosts take the mistakes in
 * turn, each run invalidating what the last one served. All mistakes type-check in one tsc run,
 * each in a mirror of lessons/ where it stands at its stub's path.
 */
async function runCatalogue(root: string, jobs: CatalogueJob[], hosts: TestHost[]) {
  const queue = [...jobs.keys()];
  const runs: RunResult[] = [];
  const typeErrors = typecheckMistakes(root, jobs);
  await Promise.all(
    hosts.map(async (host) => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const { lesson, mistake } = jobs[i]!;
        const pristine: Record<string, string> = {};
        for (const file of lesson.files) {
          const stub = `${lesson.dir}/${file.stub}`;
          pristine[stub] =
            stub === mistake.stubFile ? mistake.content : readFileSync(path.join(root, file.reference), "utf8");
        }
        runs[i] = await host.run(testsOf(root, lesson, mistake.stubFile), { pristine });
      }
    }),
  );
  const diagnostics = await typeErrors;
  return jobs.map((job, i) => ({
    ...job,
    verdict: judgeMistake(job.mistake, firstFailureOf(job.lesson, runs[i]!, diagnostics[i]!)),
  }));
}

/**
 * The lesson's test files that import this stub: only they can reach it (everything else a test
 * imports comes from solutions/), so the others would pass and only cost time.
 */
export function testsOf(root: string, lesson: Lesson, stubFile: string): string[] {
  const name = path.basename(stubFile, ".ts");
  const importsIt = new RegExp(`from\\s+["']\\./${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\.ts)?["']`);
  const tests = testPaths(lesson).filter((test) => importsIt.test(readFileSync(path.join(root, test), "utf8")));
  return tests.length > 0 ? tests : testPaths(lesson);
}

async function typecheckMistakes(root: string, jobs: CatalogueJob[]): Promise<TypeDiagnostic[][]> {
  const mirrors = jobs.map(({ mistake }) =>
    createPristineMirror(root, [{ file: mistake.stubFile, content: mistake.content }]),
  );
  try {
    const files = jobs.flatMap(({ lesson, mistake }, i) =>
      [mistake.stubFile, ...testPaths(lesson)].map((file) => `${mirrors[i]!.dir}/${file}`),
    );
    const all = await typecheck({ root, files });
    return mirrors.map((mirror) =>
      all
        .filter((d) => d.file.startsWith(`${mirror.dir}/`))
        .map((d) => ({ ...d, file: d.file.slice(mirror.dir.length + 1) })),
    );
  } finally {
    for (const mirror of mirrors) mirror.remove();
  }
}

async function typecheckPristine(root: string, lessons: Lesson[], stubs: PristineStub[]): Promise<TypeDiagnostic[]> {
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

function printVerdicts(ctx: Context, verdicts: LessonVerdict[], globalProblems: string[]): void {
  const { c } = ctx.out;
  for (const verdict of verdicts) {
    if (verdict.problems.length === 0) {
      const caught =
        verdict.mistakesTotal > 0 ? `; its tests catch all ${verdict.mistakesTotal} mistakes of its catalogue` : "";
      ctx.out.line(
        `${c.green(symbols.pass)} ${verdict.label}: ${verdict.tests} tests fail on the stub and pass on the reference; the stub type-checks${caught}`,
      );
      continue;
    }
    const caught =
      verdict.mistakesTotal > 0
        ? ` (its tests catch ${verdict.mistakesCaught} of the ${verdict.mistakesTotal} mistakes of its catalogue)`
        : "";
    ctx.out.line(`${c.red(symbols.fail)} ${verdict.label}${caught}`);
    for (const problem of verdict.problems) ctx.out.line(`    ${problem}`);
  }
  if (globalProblems.length > 0) {
    ctx.out.line(`${c.red(symbols.fail)} outside the lessons`);
    for (const problem of globalProblems) ctx.out.line(`    ${problem}`);
  }
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? "";
}
