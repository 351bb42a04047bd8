import { readFileSync } from "node:fs";
import path from "node:path";
import type { ChalkInstance } from "chalk";
import {
  type CheckResult,
  type Problem,
  allDoneMessage,
  firstProblem,
  formatLocation,
  isTestFile,
  nextAction,
  ranCleanly,
  stubForTest,
  stubOfTestFile,
  stubToEdit,
} from "../check/check-lesson.ts";
import { type Lesson, describeStubs, lessonLabel } from "../workbook/lessons.ts";
import { symbols } from "./output.ts";
import {
  type Aborted,
  type Failure,
  type SourceLocation,
  type TestOutcome,
  type Unhandled,
  heapLimitMb,
} from "../runner/run-tests.ts";
import { type WorkbookState, currentLesson, lessonState, lessonStatus, lessonsDone } from "../workbook/state.ts";
import { installHint } from "../check/requires.ts";
import type { HintTaken } from "../workbook/workbook.ts";

// Every sentence a learner reads about a lesson: how a check reads in the terminal (the lesson,
// the file to edit, the tests in brief, the first problem explained in full, a progress line, and
// one next action as the very last line), and watch mode's lines around it.

const maxTypeErrors = 8;
const maxMessageLines = 12;
const maxLogLines = 20;
const maxLogLineChars = 300;
/** Up to this many tests, a line each; past it, a count and the first few failing. */
const maxTestLines = 12;
const failingShown = 3;

export function renderCheck(
  root: string,
  result: CheckResult,
  lessons: Lesson[],
  state: Readonly<WorkbookState>,
  c: ChalkInstance,
): string[] {
  return [...renderTests(result.lesson, result, c), ...renderVerdict(root, result, lessons, state, c)];
}

/** The lesson's title, the file to edit and its README: the first lines of every lesson's screen. */
export function renderLessonHeader(lesson: Lesson, c: ChalkInstance): string[] {
  return [
    `${c.bold(lessonLabel(lesson))} ${c.dim(`· ${lesson.title}`)}`,
    c.dim(`Edit ${describeStubs(lesson)} · read ${lesson.dir}/README.md`),
  ];
}

/** The header and the tests in brief: what watch mode prints as soon as the tests are done. */
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

/** Type errors, console output, the first problem explained, progress, and the next action last. */
export function renderVerdict(
  root: string,
  result: CheckResult,
  lessons: Lesson[],
  state: Readonly<WorkbookState>,
  c: ChalkInstance,
): string[] {
  const lines: string[] = [];
  if (result.typeErrors.length > 0) {
    lines.push("", c.bold(`Type errors (${result.typeErrors.length}):`));
    for (const diagnostic of result.typeErrors.slice(0, maxTypeErrors)) {
      lines.push(`  ${c.cyan(formatLocation(diagnostic))} ${firstLine(diagnostic.message)} ${c.dim(diagnostic.code)}`);
    }
    if (result.typeErrors.length > maxTypeErrors)
      lines.push(c.dim(`  … and ${result.typeErrors.length - maxTypeErrors} more`));
  }
  lines.push(...renderLogs(result, c));
  const problem = firstProblem(result);
  if (problem) lines.push("", ...explain(root, result, problem, c));
  lines.push("", progressLine(result, lessons, state), c.bold(`Next: ${nextAction(result, lessons, state)}`));
  return lines;
}

export function progressLine(result: CheckResult, lessons: Lesson[], state: Readonly<WorkbookState>): string {
  const done = `${lessonsDone(lessons, state)} of ${lessons.length} lessons done`;
  // A count of passing tests beside a run that was stopped, or that threw outside any test, would contradict the verdict.
  if (result.aborted) return `${lessonLabel(result.lesson)}: stopped before the tests finished · ${done}`;
  if (!ranCleanly(result))
    return `${lessonLabel(result.lesson)}: not passing, an error was thrown outside any test · ${done}`;
  const total = result.total || lessonState(state, result.lesson.id).testsTotal;
  return `${lessonLabel(result.lesson)}: ${result.passing}/${total} tests passing · ${done}`;
}

/** Console output from the tests, capped in lines, in bytes and in width, saying how much was cut. */
function renderLogs(result: CheckResult, c: ChalkInstance): string[] {
  if (result.logs.length === 0) return [];
  const all = result.logs.flatMap((entry) => entry.split("\n"));
  const lines = ["", c.dim("Console output from the tests:")];
  for (const log of all.slice(0, maxLogLines))
    lines.push(c.dim(`  ${log.length > maxLogLineChars ? `${log.slice(0, maxLogLineChars)}…` : log}`));
  const moreLines = all.length - Math.min(all.length, maxLogLines) + result.logsCut.lines;
  const cut = [
    moreLines > 0 ? `${moreLines} more ${moreLines === 1 ? "line" : "lines"}` : "",
    result.logsCut.bytes > 0 ? `${formatBytes(result.logsCut.bytes)} more output` : "",
  ].filter(Boolean);
  if (cut.length > 0) lines.push(c.dim(`  … ${cut.join(", ")} not shown`));
  return lines;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function testLine(status: string, name: string, c: ChalkInstance): string {
  if (status === "passed") return `  ${c.green(symbols.pass)} ${name}`;
  if (status === "failed") return `  ${c.red(symbols.fail)} ${name}`;
  return c.dim(`  - ${name} (skipped)`);
}

function explain(root: string, result: CheckResult, problem: Problem, c: ChalkInstance): string[] {
  switch (problem.kind) {
    case "aborted":
      return explainAborted(result.lesson, problem.aborted, c);
    case "unhandled": {
      const more = result.unhandled.length - 1;
      const also =
        more > 0
          ? [c.dim(`  (and ${more} more ${more === 1 ? "error" : "errors"} outside any test: fix this one first)`)]
          : [];
      return [...explainUnhandled(root, problem.unhandled, c), ...also];
    }
    case "syntax":
    case "type": {
      const { diagnostic } = problem;
      const title = problem.kind === "syntax" ? "Syntax error" : "Type error";
      const lines = [
        c.red.bold(`${title} at ${formatLocation(diagnostic)}`),
        ...indent(diagnostic.message.split("\n").slice(0, maxMessageLines)),
        ...sourceExcerpt(root, diagnostic, c),
      ];
      if (isTestFile(result.lesson, diagnostic.file)) {
        lines.push(
          `  The tests use your code this way: change ${c.cyan(stubForTest(result.lesson, diagnostic.file))}, not the test.`,
        );
      }
      return lines;
    }
    case "load": {
      const { error } = problem;
      return [c.red.bold(`${error.file || "The tests"} could not run:`), ...failureLines(root, error.failure, c)];
    }
    case "test": {
      const { test } = problem;
      const failure = test.failure!;
      const header = c.red.bold(`First failure: ${test.fullName}`);
      if (failure.notImplemented) {
        return [header, `  Not written yet: ${failure.notImplemented.what} in ${stubToEdit(result.lesson, test)}`];
      }
      return [header, ...failureLines(root, failure, c), `  Edit ${c.cyan(stubToEdit(result.lesson, test))}`];
    }
    case "no-tests":
      return [c.red.bold(`No tests ran for ${result.lesson.id}.`)];
  }
}

function explainAborted(lesson: Lesson, aborted: Aborted, c: ChalkInstance): string[] {
  const stub = c.cyan(stubOfTestFile(lesson, aborted.file));
  const testFile = aborted.file || "the tests";
  switch (aborted.kind) {
    case "timeout": {
      const seconds = `${Math.round((aborted.limitMs ?? 0) / 100) / 10} s`;
      const lines = aborted.test
        ? [
            c.red.bold(
              `Stopped: “${aborted.test}” did not finish within ${seconds}: probably an infinite loop in ${stub}.`,
            ),
          ]
        : [
            c.red.bold(
              `Stopped: ${testFile} did not finish loading within ${seconds}: probably an infinite loop in ${stub}.`,
            ),
            "  Code outside any function runs as soon as the file is imported, before any test.",
          ];
      return [
        ...lines,
        c.dim("  The tests were stopped and will start afresh. (WORKBOOK_TIMEOUT_MS sets the limit, in milliseconds.)"),
      ];
    }
    case "memory":
      return [
        c.red.bold(`Stopped: the tests of ${stub} used more than ${heapLimitMb} MB of memory.`),
        "  Look for a loop or a recursion that keeps adding to an array, a map or a string.",
        c.dim("  The tests were stopped and will start afresh."),
      ];
    case "crash":
      return [
        c.red.bold(`Stopped: the test runner stopped unexpectedly while running ${testFile}.`),
        `  ${aborted.detail ?? ""}`.trimEnd(),
      ];
  }
}

function explainUnhandled(root: string, unhandled: Unhandled, c: ChalkInstance): string[] {
  const { failure } = unhandled;
  const what =
    unhandled.kind === "rejection"
      ? [
          "An unhandled promise rejection, outside any test:",
          "  A promise rejected and nothing awaited or caught it: await it, return it, or add .catch().",
        ]
      : unhandled.kind === "exception"
        ? [
            "An error thrown outside any test (in a timer or a callback):",
            "  No test can catch an error thrown in a setTimeout or an event callback: catch it there.",
          ]
        : ["An error outside any test:", ""];
  const lines = [
    c.red.bold(what[0]!),
    ...indent(
      `${failure.errorName === "Error" ? "" : `${failure.errorName}: `}${failure.message}`
        .split("\n")
        .slice(0, maxMessageLines),
    ),
  ];
  if (failure.location)
    lines.push(`  at ${c.cyan(formatLocation(failure.location))}`, ...sourceExcerpt(root, failure.location, c));
  if (what[1]) lines.push(what[1]);
  return lines;
}

function failureLines(root: string, failure: Failure, c: ChalkInstance): string[] {
  const prefix =
    failure.errorName === "AssertionError" || failure.errorName === "Error" ? "" : `${failure.errorName}: `;
  const lines = indent(`${prefix}${failure.message}`.split("\n").slice(0, maxMessageLines));
  if (failure.diff) {
    for (const line of failure.diff.split("\n").slice(0, maxMessageLines * 2)) {
      lines.push(`    ${line.startsWith("-") ? c.green(line) : line.startsWith("+") ? c.red(line) : line}`.trimEnd());
    }
  } else if (failure.expected !== undefined || failure.actual !== undefined) {
    lines.push(`    Expected: ${c.green(failure.expected ?? "")}`, `    Received: ${c.red(failure.actual ?? "")}`);
  }
  if (failure.location)
    lines.push(`  at ${c.cyan(formatLocation(failure.location))}`, ...sourceExcerpt(root, failure.location, c));
  return lines;
}

function sourceExcerpt(root: string, location: SourceLocation, c: ChalkInstance): string[] {
  if (!location.file || location.line < 1) return [];
  try {
    const text = readFileSync(path.join(root, location.file), "utf8").split(/\r?\n/)[location.line - 1];
    return text === undefined ? [] : [c.dim(`    ${location.line} │ `) + text.trim()];
  } catch {
    return [];
  }
}

function indent(lines: string[]): string[] {
  return lines.map((line) => `  ${line}`);
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? "";
}

// Hints and progress, for their commands and for watch mode's h and l.

/** `watching`: in watch mode, where saving is the next action, a hint ends without one. */
export function hintLines(
  lesson: Lesson,
  taken: HintTaken,
  c: ChalkInstance,
  { watching = false, width = 100 } = {},
): string[] {
  if ("exhausted" in taken) {
    return [
      `No more hints for ${lessonLabel(lesson)}: you have seen all ${taken.of} (they are also in ${lesson.dir}/README.md).`,
      c.bold(
        `Next: compare your code with the reference (npm run diff ${lesson.id}), or copy it in (npm run solve ${lesson.id})`,
      ),
    ];
  }
  const more = taken.number < taken.of ? ` (npm run hint ${lesson.id} for hint ${taken.number + 1})` : "";
  const body = watching ? wrapText(taken.text, width) : taken.text.split("\n").map((line) => `  ${line}`);
  const hint = [c.bold(`Hint ${taken.number} of ${taken.of} for ${lessonLabel(lesson)}:`), ...body];
  return watching ? hint : [...hint, "", c.bold(`Next: try it, then npm run check ${lesson.id}${more}`)];
}

export function progressLines(lessons: Lesson[], state: Readonly<WorkbookState>, c: ChalkInstance): string[] {
  const current = currentLesson(lessons, state);
  const width = Math.max(...lessons.map((lesson) => lessonLabel(lesson).length));
  const lines = [c.bold(`Progress: ${lessonsDone(lessons, state)} of ${lessons.length} lessons done`)];
  for (const lesson of lessons) {
    const entry = lessonState(state, lesson.id);
    const status = lessonStatus(entry);
    const mark =
      status === "passed"
        ? c.green(symbols.pass)
        : status === "started"
          ? c.yellow(symbols.started)
          : c.dim(symbols.notStarted);
    const details = [
      entry.testsTotal > 0 ? `${entry.testsPassing}/${entry.testsTotal} tests` : "",
      entry.solved ? "solved with npm run solve" : "",
      entry.hintsUsed > 0 ? `${entry.hintsUsed} ${entry.hintsUsed === 1 ? "hint" : "hints"}` : "",
    ].filter(Boolean);
    const marker = lesson.id === current.id ? ` ${c.cyan(symbols.current)}` : "";
    lines.push(`  ${mark} ${lessonLabel(lesson).padEnd(width)}  ${c.dim(details.join(" · "))}${marker}`.trimEnd());
  }
  const allDone = lessonsDone(lessons, state) === lessons.length;
  lines.push(
    c.bold(
      allDone
        ? `Next: ${allDoneMessage(lessons)}`
        : `Next: npm run check ${current.id} (or npm start to work on it in watch mode)`,
    ),
  );
  return lines;
}

// Watch mode's own lines.

export function footerLine(lesson: Lesson, c: ChalkInstance): string {
  return c.dim(`Watching ${lesson.dir}/ · n next · p previous · l lessons · h hint · r re-run · q quit`);
}

export function checkingLine(lesson: Lesson, c: ChalkInstance): string {
  return c.dim(`Checking ${lessonLabel(lesson)}…`);
}

export function rerunningLine(lesson: Lesson, saved: string[], c: ChalkInstance): string {
  const names = saved.map((file) => file.split(/[\\/]/).pop()).join(", ");
  return c.yellow(`⟳ re-running ${lessonLabel(lesson)}${names ? ` (${names} saved)` : ""}…`);
}

export function switchedLine(to: Lesson, saved: string, c: ChalkInstance): string {
  return c.yellow(`You saved ${saved}: switching to ${lessonLabel(to)}.`);
}

/** The last line after a lesson passes: the lesson, and the key for what comes next. */
export function passedBanner(
  lesson: Lesson,
  next: Lesson | undefined,
  open: Lesson | undefined,
  c: ChalkInstance,
): string {
  const then = next
    ? ` — n for ${lessonLabel(next)}`
    : open
      ? ` — ${lessonLabel(open)} is still open: l, then ${open.number} and Enter`
      : "";
  return c.green.bold(`${lessonLabel(lesson)} passed${then}`);
}

export function allDoneLine(lessons: Lesson[], c: ChalkInstance): string {
  const text = allDoneMessage(lessons);
  return c.green.bold(`${text[0]!.toUpperCase()}${text.slice(1)}.`);
}

export function edgeLine(step: 1 | -1): string {
  return step === 1
    ? "This is the last lesson: p goes back, l lists them all."
    : "This is the first lesson: n goes on, l lists them all.";
}

/** The lessons, numbered, with where each stands: what l shows. */
export function lessonListLines(
  lessons: Lesson[],
  state: Readonly<WorkbookState>,
  current: Lesson,
  c: ChalkInstance,
): string[] {
  const width = Math.max(...lessons.map((lesson) => lessonLabel(lesson).length));
  const lines = [c.bold(`Lessons: ${lessonsDone(lessons, state)} of ${lessons.length} done`)];
  for (const lesson of lessons) {
    const status = lessonStatus(lessonState(state, lesson.id));
    const mark =
      status === "passed"
        ? c.green(symbols.pass)
        : status === "started"
          ? c.yellow(symbols.started)
          : c.dim(symbols.notStarted);
    const marker = lesson.id === current.id ? ` ${c.cyan("← watching")}` : "";
    lines.push(
      `  ${String(lesson.number).padStart(2)} ${mark} ${lessonLabel(lesson).padEnd(width)}  ${c.dim(lesson.title)}${marker}`,
    );
  }
  lines.push(c.bold("Type a lesson's number and Enter to open it, or Enter alone to stay."));
  return lines;
}

export function pickedUnknownLine(typed: string, lessons: Lesson[]): string {
  return `There is no lesson ${typed}: type a number from ${lessons[0]!.number} to ${lessons[lessons.length - 1]!.number}, then Enter.`;
}

/** Text wrapped at word boundaries to `width` columns, each line indented by `indentBy` spaces. */
export function wrapText(text: string, width: number, indentBy = 2): string[] {
  const room = Math.max(20, width - indentBy);
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > room) {
        lines.push(line);
        line = word;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    }
    lines.push(line);
  }
  return lines.map((line) => `${" ".repeat(indentBy)}${line}`.trimEnd());
}

/** One line: what the lesson needs installed, how to install it, and what to run then. */
export function missingRequirementsLine(
  lesson: Lesson,
  missing: readonly string[],
  then = `npm run check ${lesson.id}`,
): string {
  const names = missing.join(" and ");
  const install = missing.map(installHint).join("; ");
  return `${lessonLabel(lesson)} needs ${names}, which ${missing.length === 1 ? "is" : "are"} not installed: ${install}, then ${then}`;
}
