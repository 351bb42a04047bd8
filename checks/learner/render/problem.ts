import { readFileSync } from "node:fs";
import path from "node:path";
import type { ChalkInstance } from "chalk";
import type { CheckResult } from "../check/check-lesson.ts";
import {
  type Problem,
  formatLocation,
  isTestFile,
  stubForTest,
  stubOfTestFile,
  stubToEdit,
} from "../check/first-problem.ts";
import { type Aborted, type Failure, type SourceLocation, type Unhandled, heapLimitMb } from "../runner/run-tests.ts";
import { type Lesson, describeStubs } from "../workbook/lessons.ts";
import { firstLine, indent, visible } from "./text.ts";

// The first problem of a check, explained in full: what happened, expected against received, the
// line of the learner's code, and where to look. Everything that came from the learner's code or
// the tests' output is shown through visible(), so it can neither hide nor redraw the screen.

const maxMessageLines = 12;

/** Whether a file is one of the lesson's own (its stubs or tests), the only places worth pointing at. */
export function inLearnerFiles(lesson: Lesson, file: string): boolean {
  return file.startsWith(`${lesson.dir}/`);
}

/** The test worker stopped by the code under test (process.exit and its kin), not by an error. */
export function endedByLearner(failure: Failure): boolean {
  return /\[vitest-pool\]: Worker .* emitted error|Worker exited unexpectedly|process\.exit unexpectedly called/i.test(
    failure.message,
  );
}

export function explain(root: string, result: CheckResult, problem: Problem, c: ChalkInstance): string[] {
  switch (problem.kind) {
    case "aborted":
      return explainAborted(result.lesson, problem.aborted, c);
    case "unhandled": {
      const more = result.unhandled.length - 1;
      const also = more > 0 ? [c.dim(`  (and ${more} more outside any test: fix this one first)`)] : [];
      return [...explainUnhandled(root, result.lesson, problem.unhandled, c), ...also];
    }
    case "syntax":
    case "type":
      return explainDiagnostic(root, result.lesson, problem, c);
    case "load": {
      const { error } = problem;
      const lines = failureLines(root, result.lesson, error.failure, c);
      return [c.red.bold(`${error.file || "The tests"} could not run:`), ...lines];
    }
    case "test": {
      const { test } = problem;
      const failure = test.failure!;
      const header = c.red.bold(`First failure: ${visible(test.fullName)}`);
      if (failure.notImplemented)
        return [header, `  Not written yet: ${failure.notImplemented.what} in ${stubToEdit(result.lesson, test)}`];
      const edit = `  Edit ${c.cyan(stubToEdit(result.lesson, test))}`;
      return [header, ...failureLines(root, result.lesson, failure, c), edit];
    }
    case "no-tests":
      return [c.red.bold(`No tests ran for ${result.lesson.id}.`)];
  }
}

function explainDiagnostic(
  root: string,
  lesson: Lesson,
  problem: Extract<Problem, { kind: "syntax" | "type" }>,
  c: ChalkInstance,
): string[] {
  const { diagnostic } = problem;
  const title = problem.kind === "syntax" ? "Syntax error" : "Type error";
  const lines = [
    c.red.bold(`${title} at ${formatLocation(diagnostic)}`),
    ...indent(visible(diagnostic.message).split("\n").slice(0, maxMessageLines)),
    ...sourceExcerpt(root, diagnostic, c),
  ];
  if (isTestFile(lesson, diagnostic.file))
    lines.push(
      `  The tests use your code this way: change ${c.cyan(stubForTest(lesson, diagnostic.file))}, not the test.`,
    );
  return lines;
}

function explainAborted(lesson: Lesson, aborted: Aborted, c: ChalkInstance): string[] {
  const stub = c.cyan(stubOfTestFile(lesson, aborted.file));
  const testFile = aborted.file || "the tests";
  const afresh = c.dim("  The tests were stopped and will start afresh.");
  switch (aborted.kind) {
    case "timeout": {
      const seconds = `${Math.round((aborted.limitMs ?? 0) / 100) / 10} s`;
      const loop = `probably an infinite loop in ${stub}`;
      const what = aborted.test
        ? [c.red.bold(`Stopped: “${visible(aborted.test)}” did not finish within ${seconds}: ${loop}.`)]
        : [
            c.red.bold(`Stopped: ${testFile} did not finish loading within ${seconds}: ${loop}.`),
            "  Code outside any function runs as soon as the file is imported, before any test.",
          ];
      return [
        ...what,
        c.dim("  The tests were stopped and will start afresh. (WORKBOOK_TIMEOUT_MS sets the limit, in milliseconds.)"),
      ];
    }
    case "memory":
      return [
        c.red.bold(`Stopped: the tests of ${stub} used more than ${heapLimitMb} MB of memory.`),
        "  Look for a loop or a recursion that keeps adding to an array, a map or a string.",
        afresh,
      ];
    case "crash":
      return [
        c.red.bold(`Stopped: the test runner stopped unexpectedly while running ${testFile}.`),
        `  ${visible(aborted.detail ?? "")}`.trimEnd(),
      ];
  }
}

const unhandledText: Record<Unhandled["kind"], [string, string]> = {
  rejection: [
    "An unhandled promise rejection, outside any test:",
    "  A promise rejected and nothing awaited or caught it: await it, return it, or add .catch().",
  ],
  exception: [
    "An error thrown outside any test (in a timer or a callback):",
    "  No test can catch an error thrown in a setTimeout or an event callback: catch it there.",
  ],
  error: ["An error outside any test:", ""],
};

function explainUnhandled(root: string, lesson: Lesson, unhandled: Unhandled, c: ChalkInstance): string[] {
  const { failure } = unhandled;
  if (endedByLearner(failure)) {
    return [
      c.red.bold("Stopped: the test process was ended by the code under test, before the tests finished."),
      `  Something in ${c.cyan(describeStubs(lesson))} ends the process`,
      "  (process.exit, process.reallyExit, process.abort): a function should return or throw instead.",
    ];
  }
  const [title, advice] = unhandledText[unhandled.kind];
  const prefix = failure.errorName === "Error" ? "" : `${failure.errorName}: `;
  const lines = [
    c.red.bold(title),
    ...indent(visible(`${prefix}${failure.message}`).split("\n").slice(0, maxMessageLines)),
  ];
  if (failure.location && inLearnerFiles(lesson, failure.location.file))
    lines.push(`  at ${c.cyan(formatLocation(failure.location))}`, ...sourceExcerpt(root, failure.location, c));
  if (advice) lines.push(advice);
  return lines;
}

function failureLines(root: string, lesson: Lesson, failure: Failure, c: ChalkInstance): string[] {
  const prefix =
    failure.errorName === "AssertionError" || failure.errorName === "Error" ? "" : `${failure.errorName}: `;
  const lines = indent(visible(`${prefix}${failure.message}`).split("\n").slice(0, maxMessageLines));
  if (failure.diff) {
    for (const line of visible(failure.diff)
      .split("\n")
      .slice(0, maxMessageLines * 2)) {
      lines.push(`    ${line.startsWith("-") ? c.green(line) : line.startsWith("+") ? c.red(line) : line}`.trimEnd());
    }
  } else if (failure.expected !== undefined || failure.actual !== undefined) {
    lines.push(
      `    Expected: ${c.green(visible(failure.expected ?? ""))}`,
      `    Received: ${c.red(visible(failure.actual ?? ""))}`,
    );
  }
  if (failure.location && inLearnerFiles(lesson, failure.location.file))
    lines.push(`  at ${c.cyan(formatLocation(failure.location))}`, ...sourceExcerpt(root, failure.location, c));
  return lines;
}

function sourceExcerpt(root: string, location: SourceLocation, c: ChalkInstance): string[] {
  if (!location.file || location.line < 1) return [];
  try {
    const text = readFileSync(path.join(root, location.file), "utf8").split(/\r?\n/)[location.line - 1];
    return text === undefined ? [] : [c.dim(`    ${location.line} │ `) + visible(text.trim())];
  } catch {
    return [];
  }
}

/** A type error's first line, as the verdict lists it. */
export function diagnosticSummary(message: string): string {
  return visible(firstLine(message));
}
