import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type CheckResult, summarize } from "../learner/check/check-lesson.ts";
import type { TypeDiagnostic } from "../learner/check/typecheck.ts";
import { diagnose, signatureOf } from "../learner/diagnosis/diagnose.ts";
import {
  type KnownMistake,
  type KnownMistakes,
  type Signature,
  knownMistakesFile,
  knownMistakesSchema,
  testsKey,
} from "../learner/diagnosis/known-mistakes.ts";
import type { RunResult, TestHost } from "../learner/runner/run-tests.ts";
import { type Lesson, testPaths } from "../learner/workbook/lessons.ts";
import { type Mistake, type MistakeVerdict, mistakeName } from "./mistake-catalogue.ts";
import type { Variant } from "./variants.ts";
import { rerunStandIns, runStandIns, testsOf } from "./verify-catalogue.ts";

// What verify proves of the diagnosis, lesson by lesson, from runs it makes anyway. The signatures
// recorded for the learner's CLI (checks/learner/diagnosis/known-mistakes/) are the ones a learner
// is diagnosed by, so they are what is proved: the run of each catalogued mistake is diagnosed as
// that mistake, by the one rule check uses (learner/diagnosis/diagnose.ts); the untouched stub and
// the reference as nothing; and the file holds the catalogue's mistakes, titles and notes for the
// lesson's current tests. `--record` writes it again first, from several runs of each mistake, so
// that a test a racing mistake fails only some of the time is known as such (and stays known at
// the next recording, while the tests and the mistake's first failure stay the same).
// Then it measures how the diagnosis carries over to code it was not recorded from: each variant
// is diagnosed as its own mistake (right), as nothing (none), or as another (wrong: a failure).

/** How many times --record runs each mistake: a test that goes either way is seen to, most often. */
const recordingRuns = 3;

interface VariantCounts {
  right: number;
  none: number;
  wrong: number;
}

export interface DiagnosisVerdict {
  /** Catalogued mistakes diagnosed as themselves. */
  mistakesDiagnosed: number;
  variants: VariantCounts;
  problems: string[];
}

interface DiagnosisRuns {
  /** The catalogue's mistakes that its tests catch, each with its runs (several when recording). */
  mistakes: { mistake: Mistake; runs: RunResult[] }[];
  /** Every mistake of the lesson's catalogue, caught or not: what the recorded file should name. */
  catalogued: Mistake[];
  variants: { variant: Variant; run: RunResult; typeErrors: TypeDiagnostic[] }[];
  /** The committed stubs' run, and the references', over this lesson's tests at least. */
  stub: RunResult;
  reference: RunResult;
}

/** What verify knows once it has run the catalogue: each mistake's run and whether its tests catch it. */
interface Proving {
  results: { lesson: Lesson; mistake: Mistake; run: RunResult; verdict: MistakeVerdict }[];
  variants: { lesson: Lesson; mistake: Variant }[];
  runs: { stub: RunResult; reference: RunResult };
  hosts: TestHost[];
  /** --record: run each mistake again and write the signatures first. */
  record: boolean;
}

/** Runs the variants (and, recording, each caught mistake twice more), then proves each lesson's diagnosis. */
export async function proveDiagnoses(root: string, proving: Proving): Promise<Map<string, DiagnosisVerdict>> {
  const { results, hosts, record } = proving;
  const variants = await runStandIns(root, proving.variants, hosts);
  const caught = results.filter((result) => result.verdict.caught);
  // Recording runs each mistake more than once, to see which tests a racing mistake fails only at times.
  const reruns = record ? await rerunStandIns(root, caught, hosts, recordingRuns - 1) : [];
  const signing = caught.map((result, i) => ({ ...result, runs: [result.run, ...reruns.map((runs) => runs[i]!)] }));
  const verdicts = new Map<string, DiagnosisVerdict>();
  for (const lesson of [...new Set(results.map((result) => result.lesson))]) {
    const mine = <T extends { lesson: Lesson }>(jobs: T[]) => jobs.filter((job) => job.lesson === lesson);
    const runs: DiagnosisRuns = {
      mistakes: mine(signing),
      catalogued: mine(results).map((result) => result.mistake),
      variants: mine(variants).map(({ mistake: variant, ...run }) => ({ variant, ...run })),
      ...proving.runs,
    };
    verdicts.set(lesson.id, proveDiagnosis(root, lesson, runs, record));
  }
  return verdicts;
}

/** The diagnosis over every lesson proved, in one line: mistakes diagnosed as themselves, and the variants. */
export function diagnosisLines(verdicts: { mistakesTotal: number; diagnosis?: Omit<DiagnosisVerdict, "problems"> }[]) {
  const proved = verdicts.flatMap((v) => (v.diagnosis ? [{ total: v.mistakesTotal, ...v.diagnosis }] : []));
  if (proved.length === 0) return [];
  const sum = (count: (v: (typeof proved)[number]) => number) => proved.reduce((total, v) => total + count(v), 0);
  const [right, none, wrong] = [
    sum((v) => v.variants.right),
    sum((v) => v.variants.none),
    sum((v) => v.variants.wrong),
  ];
  const mistakes = `${sum((v) => v.mistakesDiagnosed)} of ${sum((v) => v.total)}`;
  const variants = right + none + wrong;
  const measured = variants > 0 ? `; of ${variants} variants, ${right} right, ${none} none, ${wrong} wrong` : "";
  return [`diagnosis: ${mistakes} catalogued mistakes diagnosed as themselves${measured}`];
}

function proveDiagnosis(root: string, lesson: Lesson, runs: DiagnosisRuns, record: boolean): DiagnosisVerdict {
  const recorded = readRecorded(root, lesson);
  const signed = knownMistakesOf(root, lesson, runs.mistakes, "known" in recorded ? recorded.known : undefined);
  const problems = [...signed.problems];
  const again = `record it with \`npm run verify -- --lesson ${lesson.id} --record\``;
  let known: KnownMistakes;
  if (record) {
    known = signed.known;
    const file = path.join(root, knownMistakesFile(lesson));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(known, null, 2)}\n`);
  } else if ("problem" in recorded) {
    const variants = { right: 0, none: 0, wrong: 0 };
    return { mistakesDiagnosed: 0, variants, problems: [...problems, `${recorded.problem}: ${again}`] };
  } else {
    known = recorded.known;
    const differences = differencesOf(known, signed.known, new Set(runs.catalogued.map((m) => mistakeName(m.file))));
    if (differences.length > 0)
      problems.push(`${knownMistakesFile(lesson)} is out of date (${differences.join("; ")}): ${again}`);
  }
  let mistakesDiagnosed = 0;
  for (const {
    mistake,
    runs: [run],
  } of runs.mistakes) {
    const result = summarize(lesson, run!, []);
    if (diagnose(result, known)?.mistake === mistakeName(mistake.file)) mistakesDiagnosed++;
    else if (!signed.unsigned.has(mistake))
      problems.push(notItself(mistake, result, known, record ? "" : `; ${again}`));
  }
  for (const [what, run] of [
    ["the committed stub", runs.stub],
    ["the reference", runs.reference],
  ] as const) {
    const diagnosis = diagnose(summarize(lesson, ofLesson(lesson, run), []), known);
    if (diagnosis) problems.push(`${what} is diagnosed as the mistake ${diagnosis.mistake}`);
  }
  return { mistakesDiagnosed, variants: measureVariants(lesson, runs.variants, known, problems), problems };
}

function readRecorded(root: string, lesson: Lesson): { known: KnownMistakes } | { problem: string } {
  const file = knownMistakesFile(lesson);
  if (!existsSync(path.join(root, file))) return { problem: `${file} does not exist` };
  try {
    return { known: knownMistakesSchema.parse(JSON.parse(readFileSync(path.join(root, file), "utf8"))) };
  } catch (error) {
    return { problem: `${file} cannot be read (${(error as Error).message.split("\n")[0]})` };
  }
}

/**
 * The lesson's known mistakes as its catalogue's runs sign them now, in the catalogue's order:
 * a test that failed in some runs and not others (or was known to, by the recording before, of
 * the same tests and the same first failure) is one that goes either way.
 */
function knownMistakesOf(root: string, lesson: Lesson, runs: DiagnosisRuns["mistakes"], before?: KnownMistakes) {
  const problems: string[] = [];
  const unsigned = new Set<Mistake>();
  const mistakes: KnownMistake[] = [];
  const key = testsKey(root, lesson) ?? "";
  for (const { mistake, runs: mistakeRuns } of runs) {
    const files = testsOf(root, lesson, mistake.stubFile).map((file) => path.posix.basename(file));
    const source = createHash("sha256").update(mistake.content).digest("hex").slice(0, 16);
    const sameTests = before?.tests === key;
    const earlier = sameTests ? before.mistakes.find((m) => m.mistake === mistakeName(mistake.file)) : undefined;
    const signature = combine(
      mistakeRuns.map((run) => signatureOf(summarize(lesson, run, []), files)),
      earlier?.source === source ? earlier.signature : undefined,
    );
    if ("problem" in signature) {
      problems.push(`the mistake ${mistake.path} cannot be diagnosed: ${signature.problem}`);
      unsigned.add(mistake);
    } else {
      const { title, learnerNote: note, stub } = mistake;
      mistakes.push({ mistake: mistakeName(mistake.file), stub, title, note, source, signature });
    }
  }
  return { known: { lesson: lesson.id, tests: key, mistakes } satisfies KnownMistakes, problems, unsigned };
}

type Signed = Signature | { problem: string };

/**
 * One signature from several runs' (and an earlier recording's, of the same code and tests): what
 * any of them showed first, and the tests that did not fail in every one go either way.
 */
function combine(signed: Signed[], earlier?: Signature): Signed {
  const problem = signed.find((s) => "problem" in s);
  if (problem) return problem;
  const all = [...(signed as Signature[]), ...(earlier ? [earlier] : [])];
  const { files } = all[0]!;
  const firsts = new Map(all.flatMap((s) => s.first).map((first) => [JSON.stringify(first), first]));
  const failing: Record<string, string[]> = {};
  const sometimes: Record<string, string[]> = {};
  for (const file of files) {
    const seen = new Set(all.flatMap((s) => [...(s.failing[file] ?? []), ...(s.sometimes?.[file] ?? [])]));
    const always = [...seen].filter((name) => all.every((s) => s.failing[file]?.includes(name))).sort();
    const either = [...seen].filter((name) => !always.includes(name)).sort();
    if (always.length > 0) failing[file] = always;
    if (either.length > 0) sometimes[file] = either;
  }
  const first = [...firsts.values()];
  return { files, first, failing, ...(Object.keys(sometimes).length > 0 && { sometimes }) };
}

function firstOf(signature: Signature): string {
  return signature.first.map((first) => (first.kind === "test" ? `“${first.test}”` : first.message)).join(" or ");
}

/** Why a mistake's run is not diagnosed as itself by the recorded signatures, to follow its name. */
function notItself(mistake: Mistake, result: CheckResult, known: KnownMistakes, recordAgain: string): string {
  const name = mistakeName(mistake.file);
  const fitting = (m: KnownMistake) => diagnose(result, { ...known, mistakes: [m] }) !== null;
  const others = known.mistakes.filter((m) => m.mistake !== name && fitting(m)).map((m) => m.mistake);
  const own = known.mistakes.find((m) => m.mistake === name);
  if (own && fitting(own)) {
    const apart = "so no diagnosis can tell them apart: add a test that fails for one and not the other";
    return `the mistake ${mistake.path} fails the tests just as ${others.join(" and ")} does, ${apart}`;
  }
  const how = own ? howItDiffers(own.signature, result) : "it is not recorded";
  const also = others.length > 0 ? ` (it is taken for ${others.join(" and ")})` : "";
  return `the mistake ${mistake.path} is not diagnosed as itself${also}: ${how}${recordAgain}`;
}

/** How a run fails otherwise than the recorded signature says, in a few words. */
function howItDiffers(recorded: Signature, result: CheckResult): string {
  const fresh = signatureOf(result, recorded.files);
  if ("problem" in fresh) return fresh.problem;
  const recordedFirsts = recorded.first.map((first) => JSON.stringify(first));
  if (!recordedFirsts.includes(JSON.stringify(fresh.first[0])))
    return `it now fails first at ${firstOf(fresh)}, not ${firstOf(recorded)}`;
  const names = (failing: Record<string, string[]>) => Object.values(failing).flat();
  const either = new Set(names(recorded.sometimes ?? {}));
  const now = names(fresh.failing).filter((test) => !either.has(test));
  const then = names(recorded.failing);
  const quote = (tests: string[]) =>
    tests
      .slice(0, 2)
      .map((test) => `“${test}”`)
      .join(", ");
  const more = now.filter((test) => !then.includes(test));
  const fewer = then.filter((test) => !now.includes(test));
  return [
    ...(more.length > 0 ? [`it now fails ${quote(more)}`] : []),
    ...(fewer.length > 0 ? [`it no longer fails ${quote(fewer)}`] : []),
  ].join(", and ");
}

/** The run, narrowed to the lesson's own test files: verify runs every lesson at once. */
function ofLesson(lesson: Lesson, run: RunResult): RunResult {
  const files = new Set(testPaths(lesson));
  return {
    tests: run.tests.filter((test) => files.has(test.file)),
    fileErrors: run.fileErrors.filter((error) => files.has(error.file)),
    logs: [],
  };
}

function measureVariants(lesson: Lesson, runs: DiagnosisRuns["variants"], known: KnownMistakes, problems: string[]) {
  const counts: VariantCounts = { right: 0, none: 0, wrong: 0 };
  for (const { variant, run, typeErrors } of runs) {
    const [typeError] = typeErrors;
    const result = summarize(lesson, run, []);
    if (typeError) {
      problems.push(`the variant ${variant.path} does not type-check at ${typeError.file}:${typeError.line}`);
      continue;
    }
    if (result.passed) {
      problems.push(`the variant ${variant.path} passes every test: the tests do not catch ${variant.of} written so`);
      continue;
    }
    const diagnosis = diagnose(result, known);
    if (!diagnosis) counts.none++;
    else if (diagnosis.mistake === variant.of) counts.right++;
    else {
      counts.wrong++;
      problems.push(`the variant ${variant.path} of ${variant.of} is diagnosed as ${diagnosis.mistake}`);
    }
  }
  return counts;
}

/** What the recorded file says otherwise than the catalogue and the tests now do (not how each mistake fails). */
function differencesOf(recorded: KnownMistakes, fresh: KnownMistakes, catalogued: Set<string>): string[] {
  const differences: string[] = [];
  if (recorded.tests !== fresh.tests) differences.push("the lesson's tests changed since");
  const byName = new Map(recorded.mistakes.map((m) => [m.mistake, m]));
  for (const mistake of fresh.mistakes) {
    const before = byName.get(mistake.mistake);
    if (!before) differences.push(`${mistake.mistake} is not in it`);
    else if (before.stub !== mistake.stub || before.title !== mistake.title || before.note !== mistake.note)
      differences.push(`${mistake.mistake}'s stub, title or note changed`);
    byName.delete(mistake.mistake);
  }
  // One the tests do not catch this time is a problem already; its recording is left as it is.
  for (const gone of byName.keys())
    if (!catalogued.has(gone)) differences.push(`${gone} is no longer in the catalogue`);
  return differences;
}
