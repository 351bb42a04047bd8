import { readFileSync } from "node:fs";
import path from "node:path";
import type { ChalkInstance } from "chalk";
import { type CheckResult, type Problem, firstProblem, formatLocation, isTestFile, nextAction, stubForTest, stubToEdit } from "./check-lesson.ts";
import { type Lesson, lessonLabel } from "./lessons.ts";
import { symbols } from "./output.ts";
import type { Failure, SourceLocation } from "./run-tests.ts";
import { type WorkbookState, lessonState, lessonsDone } from "./state.ts";

// How a check reads in the terminal: a line per test, the first problem explained in full, a
// progress line, and one next action as the very last line.

const maxTypeErrors = 8;
const maxMessageLines = 12;
const maxLogLines = 20;

export function renderCheck(root: string, result: CheckResult, lessons: Lesson[], state: WorkbookState, c: ChalkInstance): string[] {
  return [...renderTests(result.lesson, result, c), ...renderVerdict(root, result, lessons, state, c)];
}

/** The lesson's title and a line per test: what watch mode prints as soon as the tests are done. */
export function renderTests(lesson: Lesson, run: Pick<CheckResult, "tests" | "fileErrors">, c: ChalkInstance): string[] {
  const lines = [`${c.bold(lessonLabel(lesson))} ${c.dim(`· ${lesson.title}`)}`, ""];
  for (const test of run.tests) lines.push(testLine(test.status, test.fullName, c));
  for (const error of run.fileErrors) lines.push(`  ${c.red(symbols.fail)} ${error.file || "the test run"} could not run`);
  return lines;
}

/** Type errors, console output, the first problem explained, progress, and the next action last. */
export function renderVerdict(root: string, result: CheckResult, lessons: Lesson[], state: WorkbookState, c: ChalkInstance): string[] {
  const lines: string[] = [];
  if (result.typeErrors.length > 0) {
    lines.push("", c.bold(`Type errors (${result.typeErrors.length}):`));
    for (const diagnostic of result.typeErrors.slice(0, maxTypeErrors)) {
      lines.push(`  ${c.cyan(formatLocation(diagnostic))} ${firstLine(diagnostic.message)} ${c.dim(diagnostic.code)}`);
    }
    if (result.typeErrors.length > maxTypeErrors) lines.push(c.dim(`  … and ${result.typeErrors.length - maxTypeErrors} more`));
  }
  if (result.logs.length > 0) {
    lines.push("", c.dim("Console output from the tests:"));
    for (const log of result.logs.flatMap((entry) => entry.split("\n")).slice(0, maxLogLines)) lines.push(c.dim(`  ${log}`));
  }
  const problem = firstProblem(result);
  if (problem) lines.push("", ...explain(root, result, problem, c));
  lines.push("", progressLine(result, lessons, state), c.bold(`Next: ${nextAction(result, lessons, state)}`));
  return lines;
}

export function progressLine(result: CheckResult, lessons: Lesson[], state: WorkbookState): string {
  const total = result.total || lessonState(state, result.lesson.id).testsTotal;
  return `${lessonLabel(result.lesson)}: ${result.passing}/${total} tests passing · ${lessonsDone(lessons, state)} of ${lessons.length} lessons done`;
}

function testLine(status: string, name: string, c: ChalkInstance): string {
  if (status === "passed") return `  ${c.green(symbols.pass)} ${name}`;
  if (status === "failed") return `  ${c.red(symbols.fail)} ${name}`;
  return c.dim(`  - ${name} (skipped)`);
}

function explain(root: string, result: CheckResult, problem: Problem, c: ChalkInstance): string[] {
  switch (problem.kind) {
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
        lines.push(`  The tests use your code this way: change ${c.cyan(stubForTest(result.lesson, diagnostic.file))}, not the test.`);
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

function failureLines(root: string, failure: Failure, c: ChalkInstance): string[] {
  const prefix = failure.errorName === "AssertionError" || failure.errorName === "Error" ? "" : `${failure.errorName}: `;
  const lines = indent(`${prefix}${failure.message}`.split("\n").slice(0, maxMessageLines));
  if (failure.diff) {
    for (const line of failure.diff.split("\n").slice(0, maxMessageLines * 2)) {
      lines.push(`    ${line.startsWith("-") ? c.green(line) : line.startsWith("+") ? c.red(line) : line}`.trimEnd());
    }
  } else if (failure.expected !== undefined || failure.actual !== undefined) {
    lines.push(`    Expected: ${c.green(failure.expected ?? "")}`, `    Received: ${c.red(failure.actual ?? "")}`);
  }
  if (failure.location) lines.push(`  at ${c.cyan(formatLocation(failure.location))}`, ...sourceExcerpt(root, failure.location, c));
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
