import type { ChalkInstance } from "chalk";
import type { CheckResult } from "../check/check-lesson.ts";
import { firstProblem, formatLocation, ranCleanly } from "../check/first-problem.ts";
import type { TestOutcome } from "../runner/run-tests.ts";
import { type Lesson, describeStubs, lessonLabel } from "../workbook/lessons.ts";
import type { WorkbookView } from "../workbook/workbook.ts";
import { diagnosisLines } from "./diagnosis.ts";
import { nextAction } from "./next-action.ts";
import { symbols } from "./output.ts";
import { passesButLines } from "./passes-but.ts";
import { diagnosticSummary, explain } from "./problem.ts";
import { formatBytes, plural, visible } from "./text.ts";

// How a check reads in the terminal: the lesson, the file to edit, the tests in brief, the first
// problem explained in full, a progress line, and one next action as the very last line. Watch
// mode draws the same pieces.

const maxTypeErrors = 8;
const maxLogLines = 20;
const maxLogLineChars = 300;
/** Up to this many tests, a line each; past it, a count and the first few failing. */
const maxTestLines = 12;
const failingShown = 3;

export function renderCheck(root: string, result: CheckResult, view: WorkbookView, c: ChalkInstance): string[] {
  return [...renderTests(result.lesson, result, c), ...renderVerdict(root, result, view, c)];
}

/** The lesson's title, the file to edit and its README: the first lines of every lesson's screen. */
export function renderLessonHeader(lesson: Lesson, c: ChalkInstance): string[] {
  return [
    `${c.bold(lessonLabel(lesson))} ${c.dim(`· ${lesson.title}`)}`,
    c.dim(`Edit ${describeStubs(lesson)} · read ${lesson.dir}/README.md`),
  ];
}

/** The header and the tests in brief: what watch mode shows as soon as the tests are done. */
export function renderTests(
  lesson: Lesson,
  run: Pick<CheckResult, "tests" | "fileErrors">,
  c: ChalkInstance,
): string[] {
  const lines = renderLessonHeader(lesson, c);
  if (run.tests.length > 0 || run.fileErrors.length > 0) lines.push("");
  if (run.tests.length <= maxTestLines) {
    for (const test of run.tests) lines.push(testLine(test.status, test.fullName, c));
  } else {
    lines.push(...compactTests(run.tests, c));
  }
  for (const error of run.fileErrors)
    lines.push(`  ${c.red(symbols.fail)} ${error.file || "the test run"} could not run`);
  return lines;
}

// A lesson of 61 tests would push its own title off the screen: counts, and the first failing.
function compactTests(tests: TestOutcome[], c: ChalkInstance): string[] {
  const passing = tests.filter((t) => t.status === "passed").length;
  const failing = tests.filter((t) => t.status === "failed");
  const skipped = tests.length - passing - failing.length;
  const lines: string[] = [];
  if (passing > 0) lines.push(`  ${c.green(symbols.pass)} ${passing} ${passing === 1 ? "test passes" : "tests pass"}`);
  for (const test of failing.slice(0, failingShown)) lines.push(testLine("failed", test.fullName, c));
  if (failing.length > failingShown) lines.push(c.dim(`  … ${failing.length - failingShown} more failing`));
  if (skipped > 0) lines.push(c.dim(`  - ${skipped} skipped`));
  return lines;
}

function testLine(status: string, name: string, c: ChalkInstance): string {
  if (status === "passed") return `  ${c.green(symbols.pass)} ${visible(name)}`;
  if (status === "failed") return `  ${c.red(symbols.fail)} ${visible(name)}`;
  return c.dim(`  - ${visible(name)} (skipped)`);
}

/** Type errors, console output, the first problem explained, progress, and the next action last. */
export function renderVerdict(root: string, result: CheckResult, view: WorkbookView, c: ChalkInstance): string[] {
  const lines: string[] = [];
  if (result.typeErrors.length > 0) {
    lines.push("", c.bold(`Type errors (${result.typeErrors.length}):`));
    for (const d of result.typeErrors.slice(0, maxTypeErrors))
      lines.push(`  ${c.cyan(formatLocation(d))} ${diagnosticSummary(d.message)} ${c.dim(d.code)}`);
    if (result.typeErrors.length > maxTypeErrors)
      lines.push(c.dim(`  … and ${result.typeErrors.length - maxTypeErrors} more`));
  }
  lines.push(...renderLogs(result, c));
  const problem = firstProblem(result);
  if (problem) lines.push("", ...explain(root, result, problem, c), ...diagnosisLines(result, c));
  const notes = passesButLines(result.passesBut ?? [], c);
  lines.push("", progressLine(result, view), ...notes, c.bold(`Next: ${nextAction(result, view)}`));
  return lines;
}

/** The lesson's count as the Workbook recorded it, and how many lessons are done. */
function progressLine(result: CheckResult, view: WorkbookView): string {
  const done = `${view.done} of ${view.lessons.length} lessons done`;
  const label = lessonLabel(result.lesson);
  // A count of passing tests beside a run that was stopped, or that threw outside any test, would
  // contradict the verdict.
  if (result.aborted) return `${label}: stopped before the tests finished · ${done}`;
  if (!ranCleanly(result)) return `${label}: not passing, an error was thrown outside any test · ${done}`;
  const { passing, total } = view.status(result.lesson);
  return `${label}: ${passing ?? 0}/${total ?? 0} tests passing · ${done}`;
}

/** Console output from the tests, capped in lines, in bytes and in width, saying how much was cut. */
function renderLogs(result: CheckResult, c: ChalkInstance): string[] {
  if (result.logs.length === 0) return [];
  const all = result.logs.flatMap((entry) => visible(entry).split("\n"));
  const lines = ["", c.dim("Console output from the tests:")];
  for (const log of all.slice(0, maxLogLines))
    lines.push(c.dim(`  ${log.length > maxLogLineChars ? `${log.slice(0, maxLogLineChars)}…` : log}`));
  const moreLines = all.length - Math.min(all.length, maxLogLines) + result.logsCut.lines;
  const cut = [
    moreLines > 0 ? `${plural(moreLines, "more line", "more lines")}` : "",
    result.logsCut.bytes > 0 ? `${formatBytes(result.logsCut.bytes)} more output` : "",
  ].filter(Boolean);
  if (cut.length > 0) lines.push(c.dim(`  … ${cut.join(", ")} not shown`));
  return lines;
}
