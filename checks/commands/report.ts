import { mkdirSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import path from "node:path";
import type { ParsedArgs } from "../lib/args.ts";
import { type CheckResult, lessonFiles, recordCheck, summarize } from "../lib/check-lesson.ts";
import type { Context } from "../lib/context.ts";
import { gitUserName } from "../lib/git.ts";
import { type Lesson, testPaths, lessonsFor } from "../lib/lessons.ts";
import { runTests } from "../lib/run-tests.ts";
import { type WorkbookState, currentLesson, lessonState, lessonStatus, lessonsDone, readState, updateState } from "../lib/state.ts";
import { typecheck } from "../lib/typecheck.ts";

// npm run report [--out file] [--fresh]: a markdown summary a trainer can collect from every
// learner. From the recorded results, or (--fresh) after re-running every lesson's checks.

export async function report(ctx: Context, args: ParsedArgs): Promise<number> {
  const { lessons } = lessonsFor(ctx);
  const warn = (line: string) => ctx.out.warn(line);
  const state = args.flags.has("fresh") ? await checkAll(ctx, lessons) : readState(ctx.root, warn);
  const markdown = reportMarkdown({ learner: learnerName(ctx.root), date: ctx.now(), lessons, state, fresh: args.flags.has("fresh") });
  const out = args.options.get("out");
  if (!out) {
    ctx.out.line(markdown.trimEnd());
    return 0;
  }
  const target = path.resolve(ctx.root, out);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, markdown);
  ctx.out.line(`Report written to ${path.relative(ctx.root, target) || target}`);
  return 0;
}

export function learnerName(root: string): string {
  return gitUserName(root) ?? userInfo().username;
}

/** Every lesson in one vitest run and one type-check, recorded without moving the current lesson. */
async function checkAll(ctx: Context, lessons: Lesson[]): Promise<WorkbookState> {
  const [run, typeErrors] = await Promise.all([runTests(ctx.root, "stub", lessons.flatMap(testPaths)), typecheck({ root: ctx.root, files: lessons.flatMap(lessonFiles) })]);
  const results: CheckResult[] = lessons.map((lesson) => {
    const files = new Set(testPaths(lesson));
    const inLesson = (file: string) => file.startsWith(`${lesson.dir}/`);
    return summarize(
      lesson,
      { tests: run.tests.filter((t) => files.has(t.file)), fileErrors: run.fileErrors.filter((e) => files.has(e.file)), logs: [] },
      typeErrors.filter((d) => inLesson(d.file)),
    );
  });
  return updateState(ctx.root, (line) => ctx.out.warn(line), (state) => {
    for (const result of results) recordCheck(state, lessons, result, ctx.now(), false);
  });
}

export interface ReportInput {
  learner: string;
  date: Date;
  lessons: Lesson[];
  state: WorkbookState;
  fresh: boolean;
}

const statusText = { passed: "✓ passed", started: "◐ started", "not-started": "○ not started" } as const;

export function reportMarkdown({ learner, date, lessons, state, fresh }: ReportInput): string {
  const current = currentLesson(lessons, state);
  const rows = lessons.map((lesson) => {
    const entry = lessonState(state, lesson.id);
    const status = entry.solved ? "✓ solved (reference copied in)" : statusText[lessonStatus(entry)];
    const tests = entry.testsTotal > 0 ? `${entry.testsPassing}/${entry.testsTotal}` : "–";
    return `| ${lesson.id} | ${lesson.pattern} | ${status} | ${tests} | ${entry.hintsUsed} |`;
  });
  return [
    `# Workbook progress: ${learner}`,
    "",
    `- Learner: ${learner}`,
    `- Date: ${date.toISOString().slice(0, 16).replace("T", " ")} UTC`,
    `- Lessons done: ${lessonsDone(lessons, state)} of ${lessons.length}`,
    `- Current lesson: ${current.id} ${current.pattern}`,
    `- Results: ${fresh ? "re-run just now" : "as last recorded by npm run check (npm run report --fresh re-runs them)"}`,
    "",
    "| Lesson | Pattern | Status | Tests passing | Hints used |",
    "|---|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}
