import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, userInfo } from "node:os";
import path from "node:path";
import type { ParsedArgs } from "../cli/args.ts";
import { type CheckResult, lessonFiles, recordCheck, summarize } from "../check/check-lesson.ts";
import type { Context } from "../cli/context.ts";
import { countTests, listTests } from "../check/count-tests.ts";
import type { Env } from "../cli/env.ts";
import { gitUserName } from "../workbook/git.ts";
import { type Lesson, lessonsFor, stubPath, testPaths } from "../workbook/lessons.ts";
import { type RunResult, startTestHost } from "../runner/run-tests.ts";
import {
  type WorkbookState,
  currentLesson,
  lessonState,
  lessonsDone,
  readState,
  stateFile,
  updateState,
} from "../workbook/state.ts";
import { typecheck } from "../check/typecheck.ts";
import { cleanName } from "../room/protocol.ts";
import { readMembership } from "../room/settings.ts";
import { UserError } from "../cli/user-error.ts";

// npm run report [--json] [--name "Ana"] [--out file] [--fresh]: a summary a trainer can collect
// from every learner, as markdown or (--json) in the shape documented in TRAINER-GUIDE.md. From
// the recorded results, or (--fresh) after re-running every lesson's checks.

export async function report(ctx: Context, args: ParsedArgs): Promise<number> {
  const { lessons } = lessonsFor(ctx);
  const warn = (line: string) => ctx.out.warn(line);
  const fresh = args.flags.has("fresh");
  const learner = learnerName(ctx.root, ctx.env, args.options.get("name"), warn);
  const freshResults = fresh ? await checkAll(ctx, lessons) : undefined;
  const state = freshResults?.state ?? readState(ctx.root, warn);
  const input: ReportInput = {
    learner,
    date: ctx.now(),
    lessons,
    state,
    fresh,
    countedFresh: freshResults?.counted ?? [],
    times: lessonTimes(ctx.root),
    counted: fresh ? new Map() : await countSolvedLessons(ctx, lessons, state),
  };
  const text = args.flags.has("json") ? `${JSON.stringify(reportJson(input), null, 2)}\n` : reportMarkdown(input);
  const out = args.options.get("out");
  if (!out) {
    ctx.out.line(text.trimEnd());
    return 0;
  }
  const target = path.resolve(ctx.root, out);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, text);
  ctx.out.line(`Report written to ${path.relative(ctx.root, target) || target}`);
  return 0;
}

export type NameSource = "--name" | "room" | "WORKBOOK_NAME" | "git" | "os";

export interface LearnerName {
  name: string;
  source: NameSource;
}

const nameSourceText: Record<NameSource, string> = {
  "--name": "from --name",
  room: "the name this learner joined the room with",
  WORKBOOK_NAME: "from WORKBOOK_NAME",
  git: "from git config user.name; npm run report -- --name sets another",
  os: "the computer's user name; npm run report -- --name sets another",
};

/** --name, else the name the learner joined the room with, else WORKBOOK_NAME, else git's user.name, else the OS user. */
export function learnerName(
  root: string,
  env: Env,
  flag?: string,
  warn: (line: string) => void = () => {},
): LearnerName {
  if (flag !== undefined) {
    const name = cleanName(flag);
    if (!name) throw new UserError('--name needs a name, like --name "Ana".');
    return { name, source: "--name" };
  }
  const joined = readMembership(root, warn);
  if (joined) return { name: joined.name, source: "room" };
  const fromEnv = cleanName(env.WORKBOOK_NAME ?? "");
  if (fromEnv) return { name: fromEnv, source: "WORKBOOK_NAME" };
  const git = gitUserName(root);
  if (git) return { name: git, source: "git" };
  return { name: userInfo().username, source: "os" };
}

/** What --fresh found: the state it recorded, and the lessons whose tests it counted rather than ran. */
interface FreshResults {
  state: WorkbookState;
  counted: string[];
}

/**
 * Every lesson, recorded without moving the current lesson. A lesson whose files are exactly the
 * committed stub, or exactly the reference as `solve` copies it, has a known outcome (npm run
 * verify proves that every test fails on the stub and passes on the reference): its tests are
 * counted, not run. The others run in one vitest run beside one type-check, on every core (vitest
 * keeps one free by default, for a machine doing other work) and in worker threads, which start
 * faster than processes.
 */
async function checkAll(ctx: Context, lessons: Lesson[], count = true): Promise<FreshResults> {
  const known = count ? knownOutcomes(ctx.root, lessons) : new Map<string, "stub" | "reference">();
  const toRun = lessons.filter((lesson) => !known.has(lesson.id));
  const before = readState(ctx.root, (line) => ctx.out.warn(line));
  // A count recorded after the test files last changed is still their count: no need to list them again.
  const recordedTotal = (lesson: Lesson): number | undefined => {
    const entry = lessonState(before, lesson.id);
    const checked = entry.checkedAt ? Date.parse(entry.checkedAt) : Number.NaN;
    const changed = Math.max(...testPaths(lesson).map((file) => statSync(path.join(ctx.root, file)).mtimeMs));
    return entry.testsTotal > 0 && checked >= changed ? entry.testsTotal : undefined;
  };
  const toCount = lessons.filter((lesson) => known.has(lesson.id) && recordedTotal(lesson) === undefined);
  const host =
    toRun.length > 0
      ? startTestHost(ctx.root, "stub", {
          // Every lesson at once, on every core: vitest's own thread pool. (Workers started ahead,
          // as for a learner's checks, help only the run after this one, and there is none.)
          pool: "threads",
          env: { ...ctx.env, VITEST_MAX_WORKERS: String(freshWorkers()) },
        })
      : undefined;
  const tests: Promise<RunResult> = host
    ? host.run(toRun.flatMap(testPaths)).finally(() => host.close())
    : Promise.resolve({ tests: [], fileErrors: [], logs: [] });
  const typeErrors =
    toRun.length > 0 ? typecheck({ root: ctx.root, files: toRun.flatMap(lessonFiles) }) : Promise.resolve([]);
  const listed =
    toCount.length > 0
      ? listTests(ctx.root, toCount.flatMap(testPaths), ctx.env).catch(() => undefined)
      : Promise.resolve([]);
  const [run, diagnostics, names] = await Promise.all([tests, typeErrors, listed]);
  // Counting failed: run those lessons after all.
  if (names === undefined) return checkAll(ctx, lessons, false);
  const results: CheckResult[] = lessons.map((lesson) => {
    const files = new Set(testPaths(lesson));
    const outcome = known.get(lesson.id);
    if (outcome) {
      const status = outcome === "reference" ? "passed" : "failed";
      const total = recordedTotal(lesson);
      const listedTests =
        total === undefined
          ? names.filter((t) => files.has(t.file))
          : Array.from({ length: total }, () => ({ file: testPaths(lesson)[0]!, name: "", fullName: "" }));
      return summarize(lesson, { tests: listedTests.map((t) => ({ ...t, status })), fileErrors: [], logs: [] }, []);
    }
    const inLesson = (file: string) => file.startsWith(`${lesson.dir}/`);
    return summarize(
      lesson,
      {
        tests: run.tests.filter((t) => files.has(t.file)),
        fileErrors: run.fileErrors.filter((e) => files.has(e.file)),
        logs: [],
      },
      diagnostics.filter((d) => inLesson(d.file)),
    );
  });
  const state = updateState(
    ctx.root,
    (line) => ctx.out.warn(line),
    (s) => {
      for (const result of results) recordCheck(s, lessons, result, ctx.now(), false);
    },
  );
  return { state, counted: [...known.keys()] };
}

/**
 * Lessons whose stubs and tests are unchanged from git's HEAD ("stub"), or whose tests are and
 * whose stubs hold exactly the reference, as `solve` copies it ("reference"). Without git, none.
 */
export function knownOutcomes(root: string, lessons: Lesson[]): Map<string, "stub" | "reference"> {
  const known = new Map<string, "stub" | "reference">();
  let changed: Set<string>;
  try {
    const paths = lessons.flatMap(lessonFiles);
    const output = execFileSync("git", ["diff", "--name-only", "--no-renames", "HEAD", "--", ...paths], {
      cwd: root,
      stdio: ["ignore", "pipe", "ignore"],
    });
    const tracked = execFileSync("git", ["ls-files", "--", ...paths], {
      cwd: root,
      stdio: ["ignore", "pipe", "ignore"],
    });
    const trackedFiles = new Set(tracked.toString().split("\n").filter(Boolean));
    changed = new Set([
      ...output.toString().split("\n").filter(Boolean),
      ...paths.filter((file) => !trackedFiles.has(file)),
    ]);
  } catch {
    return known;
  }
  for (const lesson of lessons) {
    if (testPaths(lesson).some((file) => changed.has(file) || !existsSync(path.join(root, file)))) continue;
    const stubs = lesson.files.map((file) => ({ file, stub: stubPath(lesson, file) }));
    if (stubs.every(({ stub }) => !changed.has(stub) && existsSync(path.join(root, stub)))) {
      known.set(lesson.id, "stub");
      continue;
    }
    const isReference = stubs.every(({ file, stub }) => {
      const reference = path.join(root, file.reference);
      if (!existsSync(reference) || !existsSync(path.join(root, stub))) return false;
      return readFileSync(path.join(root, stub)).equals(readFileSync(reference));
    });
    if (isReference) known.set(lesson.id, "reference");
  }
  return known;
}

export function freshWorkers(): number {
  return Math.max(1, availableParallelism());
}

/** Lessons solved by copy whose recorded count predates the copy: their tests counted, not run. */
async function countSolvedLessons(ctx: Context, lessons: Lesson[], state: WorkbookState): Promise<Map<string, number>> {
  const unknown = lessons.filter((lesson) => needsCount(lessonState(state, lesson.id)));
  if (unknown.length === 0) return new Map();
  try {
    const perFile = await countTests(ctx.root, unknown.flatMap(testPaths), ctx.env);
    return new Map(
      unknown.map((lesson) => [lesson.id, testPaths(lesson).reduce((sum, file) => sum + (perFile.get(file) ?? 0), 0)]),
    );
  } catch {
    // The report still says which lessons were not checked, and how to get their count.
    return new Map();
  }
}

function needsCount(entry: { solved: boolean; testsPassing: number; testsTotal: number }): boolean {
  return entry.solved && (entry.testsTotal === 0 || entry.testsPassing < entry.testsTotal);
}

export interface LessonTimes {
  startedAt?: string;
  passedAt?: string;
}

/** startedAt/passedAt per lesson, read straight from the state file, when it records them. */
export function lessonTimes(root: string): Record<string, LessonTimes> {
  try {
    const raw = JSON.parse(readFileSync(path.join(root, stateFile), "utf8")) as {
      lessons?: Record<string, Record<string, unknown>>;
    };
    const iso = (value: unknown) => (typeof value === "string" && !Number.isNaN(Date.parse(value)) ? value : undefined);
    return Object.fromEntries(
      Object.entries(raw.lessons ?? {}).map(([id, entry]) => [
        id,
        { startedAt: iso(entry?.startedAt), passedAt: iso(entry?.passedAt) },
      ]),
    );
  } catch {
    return {};
  }
}

export interface ReportInput {
  learner: LearnerName;
  date: Date;
  lessons: Lesson[];
  state: WorkbookState;
  fresh: boolean;
  /** With --fresh: lessons holding the committed stub or the reference, counted rather than run. */
  countedFresh?: string[];
  times?: Record<string, LessonTimes>;
  /** Test counts of solved lessons, collected without running them. */
  counted?: Map<string, number>;
}

export type ReportStatus = "passed" | "solved" | "started" | "not-started";

/** One lesson of the report; the --json shape is documented in TRAINER-GUIDE.md. */
export interface ReportLesson {
  id: string;
  pattern: string;
  title: string;
  status: ReportStatus;
  solvedByCopy: boolean;
  /** null when the lesson's tests were never counted ("not checked"). */
  passing: number | null;
  total: number | null;
  /** "checked": from a run of the tests; "counted": solved by copy, its tests counted, and the reference passes them all. */
  tests: "checked" | "counted" | "not-checked";
  hintsUsed: number;
  /** From starting the lesson to passing it (or to now); null when the workbook did not record when it started. */
  minutes: number | null;
  startedAt: string | null;
  passedAt: string | null;
  lastChecked: string | null;
}

export interface ReportJson {
  version: 1;
  learner: string;
  learnerNameFrom: NameSource;
  date: string;
  results: "recorded" | "fresh";
  /** With --fresh: lessons holding the committed stub or the reference unchanged, whose tests were counted, not run. */
  countedNotRun: string[];
  lessonsDone: number;
  lessonsTotal: number;
  currentLesson: string;
  lessons: ReportLesson[];
}

export function reportLessons({ lessons, state, date, times = {}, counted = new Map() }: ReportInput): ReportLesson[] {
  return lessons.map((lesson) => {
    const entry = lessonState(state, lesson.id);
    const time = times[lesson.id] ?? {};
    const count = counted.get(lesson.id);
    let tests: ReportLesson["tests"] = entry.testsTotal > 0 ? "checked" : "not-checked";
    let passing: number | null = entry.testsTotal > 0 ? entry.testsPassing : null;
    let total: number | null = entry.testsTotal > 0 ? entry.testsTotal : null;
    if (needsCount(entry)) {
      // The recorded count is from before the reference was copied in, so it is not the lesson's now.
      [tests, passing, total] =
        count !== undefined && count > 0 ? ["counted", count, count] : ["not-checked", null, null];
    }
    const started = time.startedAt ? Date.parse(time.startedAt) : undefined;
    const ended = time.passedAt ? Date.parse(time.passedAt) : date.getTime();
    const status: ReportStatus = entry.solved
      ? "solved"
      : entry.passed
        ? "passed"
        : entry.testsPassing > 0 || entry.hintsUsed > 0
          ? "started"
          : "not-started";
    return {
      id: lesson.id,
      pattern: lesson.pattern,
      title: lesson.title,
      status,
      solvedByCopy: entry.solved,
      passing,
      total,
      tests,
      hintsUsed: entry.hintsUsed,
      minutes: started === undefined ? null : Math.max(0, Math.round((ended - started) / 60_000)),
      startedAt: time.startedAt ?? null,
      passedAt: time.passedAt ?? null,
      lastChecked: entry.checkedAt ?? null,
    };
  });
}

export function reportJson(input: ReportInput): ReportJson {
  return {
    version: 1,
    learner: input.learner.name,
    learnerNameFrom: input.learner.source,
    date: input.date.toISOString(),
    results: input.fresh ? "fresh" : "recorded",
    countedNotRun: input.countedFresh ?? [],
    lessonsDone: lessonsDone(input.lessons, input.state),
    lessonsTotal: input.lessons.length,
    currentLesson: currentLesson(input.lessons, input.state).id,
    lessons: reportLessons(input),
  };
}

const statusText: Record<ReportStatus, string> = {
  passed: "✓ passed",
  solved: "✓ solved (reference copied in)",
  started: "◐ started",
  "not-started": "○ not started",
};

function freshCountedText(counted: string[]): string {
  if (counted.length === 0) return "";
  return ` (${counted.join(", ")} hold the committed stub or the reference unchanged: their tests were counted, and npm run verify proves how they end)`;
}

const shortDate = (iso: string) => `${iso.slice(0, 16).replace("T", " ")} UTC`;

export function reportMarkdown(input: ReportInput): string {
  const { learner, date, lessons, state, fresh } = input;
  const current = currentLesson(lessons, state);
  const rows = reportLessons(input).map((l) => {
    const tests =
      l.passing === null
        ? l.status === "not-started"
          ? "–"
          : "not checked"
        : `${l.passing}/${l.total}${l.tests === "counted" ? " (counted)" : ""}`;
    return `| ${l.id} | ${l.pattern} | ${statusText[l.status]} | ${tests} | ${l.hintsUsed} | ${l.minutes ?? "–"} | ${l.lastChecked ? shortDate(l.lastChecked) : "–"} |`;
  });
  const notChecked = reportLessons(input).filter((l) => l.passing === null && l.status !== "not-started");
  return [
    `# Workbook progress: ${learner.name}`,
    "",
    `- Learner: ${learner.name} (${nameSourceText[learner.source]})`,
    `- Date: ${shortDate(date.toISOString())}`,
    `- Lessons done: ${lessonsDone(lessons, state)} of ${lessons.length}`,
    `- Current lesson: ${current.id} ${current.pattern}`,
    `- Results: ${fresh ? `re-run just now${freshCountedText(input.countedFresh ?? [])}` : "as last recorded by npm run check (npm run report -- --fresh re-runs them)"}`,
    ...(notChecked.length
      ? [`- Not checked: ${notChecked.map((l) => l.id).join(", ")} (npm run report -- --fresh counts them)`]
      : []),
    "",
    "| Lesson | Pattern | Status | Tests passing | Hints used | Minutes | Last checked |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}
