import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, userInfo } from "node:os";
import path from "node:path";
import type { ParsedArgs } from "../cli/args.ts";
import { type Context, openWorkbook } from "../cli/context.ts";
import type { Env } from "../cli/env.ts";
import { UserError } from "../cli/user-error.ts";
import { type CheckResult, lessonFiles, summarize } from "../check/check-lesson.ts";
import { diagnoseCheck } from "../diagnosis/diagnose.ts";
import { countLessonTests, listTests } from "../check/count-tests.ts";
import { type TypeDiagnostic, typecheck } from "../check/typecheck.ts";
import { cleanName } from "../room/protocol.ts";
import { readMembership } from "../room/settings.ts";
import { type RunResult, startTestHost } from "../runner/run-tests.ts";
import { gitUserName } from "../workbook/git.ts";
import { type Lesson, stubPath, testPaths } from "../workbook/lessons.ts";
import type { LessonStatus, StatusName } from "../workbook/lesson-status.ts";
import type { Workbook, WorkbookView } from "../workbook/workbook.ts";

// npm run report [--json] [--name "Ana"] [--out file] [--fresh]: a summary a trainer can collect
// from every learner, as markdown or (--json) in the shape documented in TRAINER-GUIDE.md. From
// the recorded results, or (--fresh) after re-running every lesson's checks.

export async function report(ctx: Context, args: ParsedArgs): Promise<number> {
  const workbook = openWorkbook(ctx);
  const fresh = args.flags.has("fresh");
  const learner = learnerName(ctx.root, ctx.env, args.options.get("name"), (line) => ctx.out.warn(line));
  const countedFresh = fresh ? await checkAll(ctx, workbook) : [];
  // A lesson solved by copy before its tests were ever counted: count them now.
  const uncounted = workbook.lessons.filter(
    (l) => workbook.status(l).solvedByCopy && workbook.status(l).total === null,
  );
  workbook.recordCounts(await countLessonTests(ctx, uncounted));
  const input: ReportInput = { learner, date: ctx.now(), view: workbook.view(), fresh, countedFresh };
  const text = args.flags.has("json")
    ? `${JSON.stringify(reportJson(input), null, 2)}
`
    : reportMarkdown(input);
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

type NameSource = "--name" | "room" | "WORKBOOK_NAME" | "git" | "os";

interface LearnerName {
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

/**
 * --name, else the name the learner joined the room with, else WORKBOOK_NAME, else git's
 * user.name, else the OS user.
 */
function learnerName(root: string, env: Env, flag?: string, warn: (line: string) => void = () => {}): LearnerName {
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

/**
 * Every lesson checked again and recorded as "fresh" (counts only: it starts no lesson's minutes
 * and moves no current lesson), through the Workbook. A lesson whose files are exactly the
 * committed stub, or exactly the reference as `solve` copies it, has a known outcome (npm run
 * verify proves that every test fails on the stub and passes on the reference): its tests are
 * counted, not run. The others run in one vitest run beside one type-check, on every core and in
 * worker threads. Returns the lessons that were counted.
 */
async function checkAll(ctx: Context, workbook: Workbook, count = true): Promise<string[]> {
  const { lessons } = workbook;
  const known = count ? knownOutcomes(ctx.root, lessons) : new Map<string, "stub" | "reference">();
  const toRun = lessons.filter((lesson) => !known.has(lesson.id));
  const toCount = lessons.filter(
    (lesson) => known.has(lesson.id) && recordedTotal(ctx.root, workbook, lesson) === undefined,
  );
  const [run, diagnostics, names] = await Promise.all([
    runAll(ctx, toRun),
    toRun.length > 0 ? typecheck({ root: ctx.root, files: toRun.flatMap(lessonFiles) }) : Promise.resolve([]),
    toCount.length > 0 ? listTests(ctx.root, toCount.flatMap(testPaths), ctx.env).catch(() => undefined) : [],
  ]);
  // Counting failed: run those lessons after all.
  if (names === undefined) return checkAll(ctx, workbook, false);
  for (const lesson of lessons) {
    const outcome = known.get(lesson.id);
    const result = outcome
      ? countedResult(lesson, outcome, recordedTotal(ctx.root, workbook, lesson), names)
      : lessonResult(ctx.root, lesson, run, diagnostics);
    workbook.record(result, "fresh");
  }
  return [...known.keys()];
}

/** A count recorded after the lesson's test files last changed is still their count. */
function recordedTotal(root: string, workbook: Workbook, lesson: Lesson): number | undefined {
  const { total, lastChecked } = workbook.status(lesson);
  const changed = Math.max(...testPaths(lesson).map((file) => statSync(path.join(root, file)).mtimeMs));
  return total !== null && lastChecked !== null && Date.parse(lastChecked) >= changed ? total : undefined;
}

function runAll(ctx: Context, lessons: Lesson[]): Promise<RunResult> {
  if (lessons.length === 0) return Promise.resolve({ tests: [], fileErrors: [], logs: [] });
  const env = { ...ctx.env, VITEST_MAX_WORKERS: String(freshWorkers()) };
  // Every lesson at once, on every core: vitest's own thread pool. (Workers started ahead, as for
  // a learner's checks, help only the run after this one, and there is none.)
  const host = startTestHost(ctx.root, "stub", { pool: "threads", env });
  return host.run(lessons.flatMap(testPaths)).finally(() => host.close());
}

function countedResult(
  lesson: Lesson,
  outcome: "stub" | "reference",
  total: number | undefined,
  names: { file: string; name: string; fullName: string }[],
): CheckResult {
  const files = new Set(testPaths(lesson));
  const status = outcome === "reference" ? "passed" : "failed";
  const listed =
    total === undefined
      ? names.filter((t) => files.has(t.file))
      : Array.from({ length: total }, () => ({ file: testPaths(lesson)[0]!, name: "", fullName: "" }));
  return summarize(lesson, { tests: listed.map((t) => ({ ...t, status })), fileErrors: [], logs: [] }, []);
}

function lessonResult(root: string, lesson: Lesson, run: RunResult, diagnostics: TypeDiagnostic[]): CheckResult {
  const files = new Set(testPaths(lesson));
  const result = summarize(
    lesson,
    {
      tests: run.tests.filter((t) => files.has(t.file)),
      fileErrors: run.fileErrors.filter((e) => files.has(e.file)),
      logs: [],
    },
    diagnostics.filter((d) => d.file.startsWith(`${lesson.dir}/`)),
  );
  // As a check of the lesson would: a fresh report keeps telling the room what each failure looks like.
  return { ...result, diagnosis: diagnoseCheck(root, result) };
}

/**
 * Lessons whose stubs and tests are unchanged from git's HEAD ("stub"), or whose tests are and
 * whose stubs hold exactly the reference, as `solve` copies it ("reference"). Without git, none.
 */
function knownOutcomes(root: string, lessons: Lesson[]): Map<string, "stub" | "reference"> {
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

function freshWorkers(): number {
  return Math.max(1, availableParallelism());
}

interface ReportInput {
  learner: LearnerName;
  date: Date;
  view: WorkbookView;
  fresh: boolean;
  /** With --fresh: lessons holding the committed stub or the reference, counted rather than run. */
  countedFresh?: string[];
}

/** One lesson of the report: its derived status; the --json shape is documented in TRAINER-GUIDE.md. */
type ReportLesson = { id: string; pattern: string; title: string } & LessonStatus;

interface ReportJson {
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

function reportLessons(view: WorkbookView): ReportLesson[] {
  return view.lessons.map((lesson) => ({
    id: lesson.id,
    pattern: lesson.pattern,
    title: lesson.title,
    ...view.status(lesson),
  }));
}

function reportJson(input: ReportInput): ReportJson {
  const { view } = input;
  return {
    version: 1,
    learner: input.learner.name,
    learnerNameFrom: input.learner.source,
    date: input.date.toISOString(),
    results: input.fresh ? "fresh" : "recorded",
    countedNotRun: input.countedFresh ?? [],
    lessonsDone: view.done,
    lessonsTotal: view.lessons.length,
    currentLesson: view.current.id,
    lessons: reportLessons(view),
  };
}

const statusText: Record<StatusName, string> = {
  passed: "✓ passed",
  solved: "◆ solved (reference copied in)",
  started: "◐ started",
  "not-started": "○ not started",
};

function freshCountedText(counted: string[]): string {
  if (counted.length === 0) return "";
  const how = "their tests were counted, and npm run verify proves how they end";
  return ` (${counted.join(", ")} hold the committed stub or the reference unchanged: ${how})`;
}

const shortDate = (iso: string) => `${iso.slice(0, 16).replace("T", " ")} UTC`;

const lastCheckedCell = (l: ReportLesson) => (l.lastChecked ? shortDate(l.lastChecked) : "–");

function testsCell(l: ReportLesson): string {
  if (l.total === null) return l.status === "not-started" ? "–" : "not checked";
  return `${l.passing}/${l.total}${l.tests === "counted" ? " (counted)" : ""}`;
}

function reportMarkdown(input: ReportInput): string {
  const { learner, date, view, fresh } = input;
  const lessons = reportLessons(view);
  const cells = (l: ReportLesson) => [
    l.id,
    l.pattern,
    statusText[l.status],
    testsCell(l),
    l.hintsUsed,
    l.minutes ?? "–",
    lastCheckedCell(l),
  ];
  const rows = lessons.map((l) => `| ${cells(l).join(" | ")} |`);
  const notChecked = lessons.filter((l) => l.total === null && l.status !== "not-started");
  const results = fresh
    ? `re-run just now${freshCountedText(input.countedFresh ?? [])}`
    : "as last recorded by npm run check (npm run report -- --fresh re-runs them)";
  return [
    `# Workbook progress: ${learner.name}`,
    "",
    `- Learner: ${learner.name} (${nameSourceText[learner.source]})`,
    `- Date: ${shortDate(date.toISOString())}`,
    `- Lessons done: ${view.done} of ${view.lessons.length}`,
    `- Current lesson: ${view.current.id} ${view.current.pattern}`,
    `- Results: ${results}`,
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
