import path from "node:path";
import type { Phases, RawError, RawModule, RawResult } from "./host-protocol.ts";

// vitest's results, as the vitest host sends them, turned into what the CLI explains: per test a
// name, a status, and for a failure its message, expected/received and the file:line worth
// looking at.

export type TestTarget = "stub" | "reference";
export type TestStatus = "passed" | "failed" | "skipped";
export type { Phases };

export interface SourceLocation {
  /** Relative to the project root, forward slashes. */
  file: string;
  line: number;
  column: number;
}

export interface Failure {
  errorName: string;
  message: string;
  expected?: string;
  actual?: string;
  diff?: string;
  /** The first place in the lesson's own files (stub or test), the one worth opening. */
  location?: SourceLocation;
  /** Set when the stub threw NotImplementedError: which function is not written yet, and where. */
  notImplemented?: { lesson: string; what: string; location?: SourceLocation };
}

export interface TestOutcome {
  /** The test file, relative to the root. */
  file: string;
  name: string;
  /** Suite and test names joined with " › ". */
  fullName: string;
  status: TestStatus;
  failure?: Failure;
}

/** A test file that could not run at all: a syntax error, a failed import, an error at load time. */
export interface FileError {
  file: string;
  failure: Failure;
}

/** An error thrown outside any test: a promise nobody awaited, a throw inside a timer. */
export interface Unhandled {
  kind: "rejection" | "exception" | "error";
  failure: Failure;
}

/** Why a run was stopped before it finished: learner code that never returns, or that ate the memory. */
export interface Aborted {
  kind: "timeout" | "memory" | "crash";
  /** The test file that was loading or running, relative to the root ("" when unknown). */
  file: string;
  /** The test that was running; none when the file was still loading. */
  test?: string;
  /** For a timeout, the limit in milliseconds. */
  limitMs?: number;
  /** For a crash, what the runner said last. */
  detail?: string;
}

export interface RunResult {
  tests: TestOutcome[];
  fileErrors: FileError[];
  logs: string[];
  unhandled?: Unhandled[];
  /** Console output left out: past a cap on lines or on bytes. */
  logsCut?: { lines: number; bytes: number };
  aborted?: Aborted;
  /**
   * Where a run's time went: the whole run in the test host, and vitest's phases summed over the
   * files, and each file's own; with workers started ahead (warm-pool.mjs), how many files found
   * theirs ready.
   */
  profile?: {
    runMs: number;
    phases: Phases;
    files: { file: string; phases: Phases }[];
    workers?: { ready: number; started: number };
    /** How many test files' results were given again, none of their files having changed: not run, not in the phases. */
    kept?: number;
  };
}

export function toRunResult(root: string, raw: RawResult): RunResult {
  const kept = new Set(raw.kept);
  const ran = raw.modules.filter((module) => !kept.has(module.file));
  const tests: TestOutcome[] = [];
  const fileErrors: FileError[] = [];
  for (const module of raw.modules) {
    const file = relative(root, module.file);
    for (const error of module.errors) fileErrors.push({ file, failure: toFailure(root, error) });
    for (const test of module.tests) {
      const status: TestStatus = test.state === "passed" ? "passed" : test.state === "failed" ? "failed" : "skipped";
      const firstError = test.errors[0] ?? { name: "Error", message: "the test failed without an error message" };
      tests.push({
        file,
        name: test.name,
        fullName: displayName(test.fullName),
        status,
        ...(status === "failed" && { failure: toFailure(root, firstError) }),
      });
    }
  }
  return {
    tests,
    fileErrors,
    logs: raw.logs.map((log) => log.replace(/\n$/, "")),
    unhandled: toUnhandled(root, raw.unhandledErrors),
    logsCut: raw.logsCut,
    profile: {
      runMs: raw.runMs,
      phases: sumPhases(ran),
      files: ran.map((module) => ({ file: relative(root, module.file), phases: module.phases })),
      ...(raw.workers && { workers: raw.workers }),
      ...(raw.kept && { kept: raw.kept.length }),
    },
  };
}

/** vitest joins suite and test names with " > "; the CLI shows " › ". */
export function displayName(vitestName: string): string {
  return vitestName.split(" > ").join(" › ");
}

function toUnhandled(root: string, errors: RawError[]): Unhandled[] {
  const unhandled: Unhandled[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const one: Unhandled = { kind: unhandledKind(error), failure: toFailure(root, error) };
    // The same stray promise in a function every test calls fails once per test: say it once.
    const key = JSON.stringify([one.kind, one.failure.message, one.failure.location]);
    if (!seen.has(key)) unhandled.push(one);
    seen.add(key);
  }
  return unhandled;
}

function sumPhases(modules: RawModule[]): Phases {
  const sum: Phases = { environment: 0, prepare: 0, setup: 0, import: 0, tests: 0 };
  for (const module of modules) for (const key of Object.keys(sum) as (keyof Phases)[]) sum[key] += module.phases[key];
  return sum;
}

function unhandledKind(error: RawError): Unhandled["kind"] {
  if (/rejection/i.test(error.type ?? "")) return "rejection";
  if (/exception/i.test(error.type ?? "")) return "exception";
  return "error";
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: it matches the terminal's color codes, which start with ESC.
const ansi = /\u001b\[[0-9;]*m/g;

export function toFailure(root: string, error: RawError): Failure {
  const frames = (error.stacks ?? []).map((frame) => ({ ...frame, file: relative(root, frame.file) }));
  const lessonFrames = frames.filter(
    (frame) => frame.file.startsWith("lessons/") && !frame.file.endsWith("/not-implemented.ts"),
  );
  const loc = error.loc?.file
    ? { file: relative(root, error.loc.file), line: error.loc.line, column: error.loc.column + 1 }
    : undefined;
  const location = loc ?? lessonFrames[0] ?? frames[0];
  const failure: Failure = {
    errorName: error.name ?? "Error",
    message: error.message.replace(ansi, ""),
    ...(error.expected !== undefined && { expected: error.expected.replace(ansi, "") }),
    ...(error.actual !== undefined && { actual: error.actual.replace(ansi, "") }),
    ...(error.diff !== undefined && { diff: error.diff.replace(ansi, "") }),
    ...(location && { location }),
  };
  if (error.name === "NotImplementedError") {
    failure.notImplemented = {
      lesson: error.lesson ?? "",
      what: error.what ?? "",
      ...(lessonFrames[0] && { location: lessonFrames[0] }),
    };
  }
  return failure;
}

/** A path relative to the root with forward slashes; one already relative is kept as it is. */
export function relative(root: string, file: string): string {
  return toPosix(path.isAbsolute(file) ? path.relative(root, file) : file);
}

export function toPosix(file: string): string {
  return file.split(path.sep).join("/");
}
