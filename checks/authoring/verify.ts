import { existsSync } from "node:fs";
import path from "node:path";
import type { ParsedArgs } from "../learner/cli/args.ts";
import type { Context } from "../learner/cli/context.ts";
import { UserError } from "../learner/cli/user-error.ts";
import { formatLocation } from "../learner/check/first-problem.ts";
import { missingExecutables, servicesRequired } from "../learner/check/requires.ts";
import type { TypeDiagnostic } from "../learner/check/typecheck.ts";
import { symbols } from "../learner/render/output.ts";
import { missingRequirementsLine } from "../learner/render/requirements.ts";
import { firstLine } from "../learner/render/text.ts";
import { type RunResult, type TestHost, runTests, startTestHost } from "../learner/runner/run-tests.ts";
import {
  type Lesson,
  type LessonProblem,
  lessonLabel,
  loadLessons,
  resolveLesson,
  testPaths,
} from "../learner/workbook/lessons.ts";
import { type Catalogue, hasCatalogues, loadCatalogue } from "./mistake-catalogue.ts";
import { type PristineStub, pristineStubs } from "./pristine.ts";
import { type Variant, loadVariants } from "./variants.ts";
import { type CatalogueJob, runCatalogue } from "./verify-catalogue.ts";
import { type DiagnosisVerdict, diagnosisLines, proveDiagnoses } from "./verify-diagnosis.ts";
import {
  manifestProblems,
  referenceNoteProblems,
  referenceProblems,
  stubProblems,
  testCountProblems,
  typecheckPristine,
} from "./verify-lesson.ts";

// npm run verify [--lesson lesson-N] [--json]: proves the workbook's invariants for every lesson.
//  1. every test fails on the committed stub, through NotImplementedError or an assertion, never
//     through an import, syntax, reference or type error;
//  2. every test passes with the reference mapped in place of the stub;
//  3. the committed stub and its tests type-check, and "passes, but…" finds nothing to note in the reference;
//  4. every mistake in the lesson's catalogue (checks/authoring/mistakes/<lesson folder>/) applies
//     to its reference, type-checks at its stub's path, fails at least one test, and the first
//     problem a learner sees (by check's own rule) points at its cause;
//  5. the check of each mistake is diagnosed as that mistake, the stub's and the reference's as
//     nothing, and the signatures recorded for the learner's CLI are up to date (--record writes
//     them); each variant of a mistake is diagnosed as it or as nothing, never as another;
//  and the manifest holds together: its files exist, its testCount is true, the README has three hints.
// One vitest run per mode over all lessons (both at once, beside one type-check), not one per
// lesson; then one run per mistake, on two resident hosts that take turns through the catalogue.

interface LessonVerdict {
  id: string;
  label: string;
  tests: number;
  mistakesCaught: number;
  mistakesTotal: number;
  /** How the diagnosis fares on the catalogue and its variants, for a lesson with a catalogue. */
  diagnosis?: Omit<DiagnosisVerdict, "problems">;
  problems: string[];
}

/** What verify knows of the lessons it proves, gathered before any test runs. */
interface Plan {
  verdicts: Map<string, LessonVerdict>;
  /** Lessons whose stubs and tests exist: the ones worth running. */
  runnable: Lesson[];
  stubs: PristineStub[];
  mistakes: CatalogueJob[];
  variants: { lesson: Lesson; mistake: Variant }[];
  /** The committed stubs' run and the references', once proveLessons has made them. */
  runs?: { stub: RunResult; reference: RunResult };
}

export async function verify(ctx: Context, args: ParsedArgs): Promise<number> {
  const { lessons, skipped, brokenFolders } = withRequirements(
    ctx,
    selectLessons(ctx.root, args.options.get("lesson")),
  );
  const plan = planVerification(ctx, lessons);
  const stubHost = plan.runnable.length > 0 ? startTestHost(ctx.root, "stub") : undefined;
  // Started now, so its start-up overlaps the lessons' runs.
  const secondHost = plan.mistakes.length > 1 ? startTestHost(ctx.root, "stub") : undefined;
  const globalProblems: string[] = [];
  try {
    if (stubHost) globalProblems.push(...(await proveLessons(ctx.root, plan, stubHost)));
    if (stubHost && plan.mistakes.length > 0)
      await proveCatalogue(ctx.root, plan, [stubHost, secondHost], args.flags.has("record"));
  } finally {
    stubHost?.close();
    secondHost?.close();
  }
  const broken = brokenFolders.map((p) => verdictOf(p.dir, p.dir, [p.message]));
  const results = [...plan.verdicts.values(), ...broken];
  for (const line of skipped) ctx.out.warn(`skipped ${line}`);
  return report(ctx, args.flags.has("json"), { results, globalProblems, skipped });
}

function verdictOf(id: string, label: string, problems: string[]): LessonVerdict {
  return { id, label, tests: 0, mistakesCaught: 0, mistakesTotal: 0, problems };
}

/** Each lesson's manifest, catalogue and committed stubs read, with what is wrong with them. */
function planVerification(ctx: Context, lessons: Lesson[]): Plan {
  const verdicts = new Map(lessons.map((l) => [l.id, verdictOf(l.id, lessonLabel(l), manifestProblems(ctx.root, l))]));
  const catalogues = new Map<string, Catalogue>(
    hasCatalogues(ctx.root) ? lessons.map((l) => [l.id, loadCatalogue(ctx.root, l)]) : [],
  );
  for (const [id, catalogue] of catalogues) verdicts.get(id)!.problems.push(...catalogue.problems);
  const variants = lessons.flatMap((lesson) => {
    const loaded = loadVariants(ctx.root, lesson, catalogues.get(lesson.id)?.mistakes ?? []);
    verdicts.get(lesson.id)!.problems.push(...loaded.problems);
    return loaded.variants.map((variant) => ({ lesson, mistake: variant }));
  });
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
  const mistakes = runnable.flatMap(
    (lesson) => catalogues.get(lesson.id)?.mistakes.map((mistake) => ({ lesson, mistake })) ?? [],
  );
  const stubs = runnable.flatMap((lesson) => pristine.get(lesson.id)!);
  const runnableVariants = variants.filter(({ lesson }) => runnable.includes(lesson));
  return { verdicts, runnable, stubs, mistakes, variants: runnableVariants };
}

/** The committed stubs and the references, each run once over every lesson, beside one type-check. */
async function proveLessons(root: string, plan: Plan, stubHost: TestHost): Promise<string[]> {
  const tests = plan.runnable.flatMap(testPaths);
  const [onStub, onReference, typeErrors] = await Promise.all([
    stubHost.run(tests, { pristine: Object.fromEntries(plan.stubs.map((s) => [s.file, s.content])) }),
    runTests(root, "reference", tests),
    typecheckPristine(root, plan.runnable, plan.stubs),
  ]);
  plan.runs = { stub: onStub, reference: onReference };
  for (const lesson of plan.runnable) {
    const verdict = plan.verdicts.get(lesson.id)!;
    const files = new Set(testPaths(lesson));
    verdict.tests = onReference.tests.filter((t) => files.has(t.file)).length;
    verdict.problems.push(
      ...testCountProblems(lesson, verdict.tests),
      ...stubProblems(onStub, files),
      ...referenceProblems(onReference, files),
      ...referenceNoteProblems(root, lesson),
      ...typeErrors
        .filter((d) => d.file.startsWith(`${lesson.dir}/`))
        .map((d) => `type error in the committed stub's files at ${formatLocation(d)}: ${firstLine(d.message)}`),
    );
  }
  return problemsOutsideLessons(plan.runnable, typeErrors, [onStub, onReference]);
}

function problemsOutsideLessons(lessons: Lesson[], typeErrors: TypeDiagnostic[], runs: RunResult[]): string[] {
  const lessonDirs = lessons.map((l) => `${l.dir}/`);
  const stopped = (a: NonNullable<RunResult["aborted"]>) =>
    `the tests were stopped (${a.kind}) in ${a.file || "an unknown file"}${a.test ? `, at “${a.test}”` : ""}`;
  return [
    ...typeErrors
      .filter((d) => !lessonDirs.some((dir) => d.file.startsWith(dir)))
      .map((d) => `type error at ${formatLocation(d)}: ${firstLine(d.message)}`),
    ...runs
      .flatMap((run) => run.unhandled ?? [])
      .map((u) => `an error outside any test: ${firstLine(u.failure.message)}`),
    ...runs.flatMap((run) => (run.aborted ? [stopped(run.aborted)] : [])),
  ];
}

async function proveCatalogue(
  root: string,
  plan: Plan,
  hosts: (TestHost | undefined)[],
  record: boolean,
): Promise<void> {
  const running = hosts.filter((host) => host !== undefined);
  const results = await runCatalogue(root, plan.mistakes, running);
  for (const { lesson, mistake, verdict } of results) {
    const lessonVerdict = plan.verdicts.get(lesson.id)!;
    lessonVerdict.mistakesTotal++;
    if (verdict.caught) lessonVerdict.mistakesCaught++;
    else lessonVerdict.problems.push(`the mistake ${mistake.path} (${mistake.note}) is not caught: ${verdict.reason}`);
  }
  const proving = { results, variants: plan.variants, runs: plan.runs!, hosts: running, record };
  for (const [id, { problems, ...diagnosis }] of await proveDiagnoses(root, proving)) {
    plan.verdicts.get(id)!.diagnosis = diagnosis;
    plan.verdicts.get(id)!.problems.push(...problems);
  }
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
    const line = missingRequirementsLine(lesson, missing, "npm run verify");
    if (missing.length === 0) lessons.push(lesson);
    else if (servicesRequired(ctx.env))
      brokenFolders.push({ dir: lessonLabel(lesson), message: `${line} (WORKBOOK_REQUIRE_SERVICES is set)` });
    else skipped.push(line);
  }
  return { lessons, skipped, brokenFolders };
}

function report(
  ctx: Context,
  json: boolean,
  { results, globalProblems, skipped }: { results: LessonVerdict[]; globalProblems: string[]; skipped: string[] },
): number {
  const failed = results.filter((v) => v.problems.length > 0).length + (globalProblems.length > 0 ? 1 : 0);
  const passed = results.filter((v) => v.problems.length === 0).length;
  if (json) {
    const lessons = results.map((v) => ({ ...v, passed: v.problems.length === 0 }));
    const body = { lessons, problems: globalProblems, passed, failed };
    ctx.out.line(JSON.stringify(skipped.length > 0 ? { ...body, skipped } : body));
  } else {
    printVerdicts(ctx, results, globalProblems);
    for (const line of diagnosisLines(results)) ctx.out.line(line);
    ctx.out.line(`${passed} passed, ${failed} failed`);
  }
  return failed === 0 ? 0 : 1;
}

function printVerdicts(ctx: Context, verdicts: LessonVerdict[], globalProblems: string[]): void {
  const { c } = ctx.out;
  for (const verdict of verdicts) {
    const { mistakesTotal: total, mistakesCaught: caught } = verdict;
    if (verdict.problems.length === 0) {
      const all = total > 0 ? `; its tests catch all ${total} mistakes of its catalogue` : "";
      const proved = `${verdict.tests} tests fail on the stub and pass on the reference; the stub type-checks`;
      ctx.out.line(`${c.green(symbols.pass)} ${verdict.label}: ${proved}${all}`);
      continue;
    }
    const some = total > 0 ? ` (its tests catch ${caught} of the ${total} mistakes of its catalogue)` : "";
    ctx.out.line(`${c.red(symbols.fail)} ${verdict.label}${some}`);
    for (const problem of verdict.problems) ctx.out.line(`    ${problem}`);
  }
  if (globalProblems.length > 0) {
    ctx.out.line(`${c.red(symbols.fail)} outside the lessons`);
    for (const problem of globalProblems) ctx.out.line(`    ${problem}`);
  }
}
