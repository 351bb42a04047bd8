import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Env } from "./env.ts";

// Runs lesson tests through vitest's Node API in a separate plain-Node process (vitest-host.mjs
// says why) and turns vitest's results into what the CLI explains: per test a name, a status,
// and for a failure its message, expected/received and the file:line worth looking at.

export type TestTarget = "stub" | "reference";
export type TestStatus = "passed" | "failed" | "skipped";

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

export interface RunResult {
  tests: TestOutcome[];
  fileErrors: FileError[];
  logs: string[];
}

export interface RunOptions {
  /** Files (absolute or relative to the root) changed since the last run of this host. */
  invalidate?: string[];
  /** Content to serve in place of files on disk (absolute paths), e.g. committed stubs. */
  pristine?: Record<string, string>;
}

export interface TestHost {
  run(testFiles: string[], options?: RunOptions): Promise<RunResult>;
  close(): void;
}

// Raw shapes sent by vitest-host.mjs.
interface RawFrame {
  file: string;
  line: number;
  column: number;
  method?: string;
}

export interface RawError {
  name?: string;
  message: string;
  stacks?: RawFrame[];
  expected?: string;
  actual?: string;
  diff?: string;
  lesson?: string;
  what?: string;
  frame?: string;
  loc?: { file?: string; line: number; column: number };
}

export interface RawModule {
  file: string;
  errors: RawError[];
  tests: { name: string; fullName: string; state: string; errors: RawError[] }[];
}

export interface RawResult {
  modules: RawModule[];
  unhandledErrors: RawError[];
  logs: { content: string; type: string }[];
}

type HostMessage =
  | { type: "ready" }
  | ({ type: "result"; id: number } & RawResult)
  | { type: "fatal"; id?: number; message: string; stack?: string };

const hostScript = fileURLToPath(new URL("./vitest-host.mjs", import.meta.url));

export interface HostOptions {
  env?: Env;
  /** vitest's pool; its default (forks) unless a caller has a reason, as watch mode does. */
  pool?: "threads" | "forks";
}

export function startTestHost(root: string, target: TestTarget, { env = process.env, pool }: HostOptions = {}): TestHost {
  const child: ChildProcess = fork(hostScript, [root, target, ...(pool ? [pool] : [])], {
    cwd: root,
    // Node's own type insists on NODE_ENV, which Next.js's types declare required.
    env: env as NodeJS.ProcessEnv,
    // Not tsx's loader hooks, which the CLI itself runs under: that is the point of this process.
    execArgv: [],
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    serialization: "advanced",
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const pending = new Map<number, { resolve: (result: RunResult) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let failure: Error | undefined;
  const failAll = (error: Error) => {
    failure ??= error;
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  child.on("message", (message: HostMessage) => {
    if (message.type === "result") {
      pending.get(message.id)?.resolve(toRunResult(root, message));
      pending.delete(message.id);
    } else if (message.type === "fatal") {
      const error = new Error(`vitest could not run: ${message.message}`);
      if (message.id === undefined) failAll(error);
      else {
        pending.get(message.id)?.reject(error);
        pending.delete(message.id);
      }
    }
  });
  child.on("error", (error) => failAll(error));
  child.on("exit", (code, signal) => {
    failAll(new Error(`the test runner stopped (${signal ?? `exit code ${code}`})${stderr ? `: ${lastLine(stderr)}` : ""}`));
  });
  return {
    run(testFiles, options = {}) {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      const absolute = (file: string) => toPosix(path.resolve(root, file));
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({
          type: "run",
          id,
          files: testFiles.map(absolute),
          invalidate: (options.invalidate ?? []).map(absolute),
          pristine: Object.fromEntries(Object.entries(options.pristine ?? {}).map(([file, content]) => [absolute(file), content])),
        });
      });
    },
    close() {
      child.removeAllListeners("exit");
      failAll(new Error("the test runner was closed"));
      if (child.exitCode === null) child.kill();
    },
  };
}

/**
 * Watch mode runs vitest's thread pool: a re-run then answers in about 0.3 s instead of 0.5 s, as
 * starting a worker thread is cheaper than starting a process. Every lesson's tests pass in both
 * pools; check and verify keep vitest's default (forks), as npm test does.
 */
export const watchPool = "threads";

let prestarted: { root: string; target: TestTarget; pool?: string; host: TestHost } | undefined;

/**
 * Starts a test host before the command that needs it has even loaded: vitest's start-up then
 * overlaps the CLI's own, which is most of what makes `npm run check` as quick as vitest alone.
 */
export function prestartTestHost(root: string, target: TestTarget, options: HostOptions = {}): void {
  prestarted = { root, target, pool: options.pool, host: startTestHost(root, target, options) };
}

/** The prestarted host when it fits, else a new one. */
export function takeTestHost(root: string, target: TestTarget, options: HostOptions = {}): TestHost {
  const fits = prestarted?.root === root && prestarted.target === target && prestarted.pool === options.pool;
  const host = fits ? prestarted!.host : startTestHost(root, target, options);
  if (fits) prestarted = undefined;
  return host;
}

/** One run on a fresh host, for commands that run once. */
export async function runTests(root: string, target: TestTarget, testFiles: string[], options?: RunOptions): Promise<RunResult> {
  const host = takeTestHost(root, target);
  try {
    return await host.run(testFiles, options);
  } finally {
    host.close();
  }
}

function lastLine(text: string): string {
  return text.trim().split("\n").filter(Boolean).pop() ?? "";
}

function toPosix(file: string): string {
  return file.split(path.sep).join("/");
}

export function toRunResult(root: string, raw: RawResult): RunResult {
  const tests: TestOutcome[] = [];
  const fileErrors: FileError[] = [];
  for (const module of raw.modules) {
    const file = relative(root, module.file);
    for (const error of module.errors) fileErrors.push({ file, failure: toFailure(root, error) });
    for (const test of module.tests) {
      const status: TestStatus = test.state === "passed" ? "passed" : test.state === "failed" ? "failed" : "skipped";
      const firstError = test.errors[0];
      tests.push({
        file,
        name: test.name,
        fullName: test.fullName.split(" > ").join(" › "),
        status,
        ...(status === "failed" && { failure: toFailure(root, firstError ?? { name: "Error", message: "the test failed without an error message" }) }),
      });
    }
  }
  for (const error of raw.unhandledErrors) fileErrors.push({ file: "", failure: toFailure(root, error) });
  return { tests, fileErrors, logs: raw.logs.map((log) => log.content.replace(/\n$/, "")) };
}

const ansi = /\u001b\[[0-9;]*m/g;

export function toFailure(root: string, error: RawError): Failure {
  const frames = (error.stacks ?? []).map((frame) => ({ file: relative(root, frame.file), line: frame.line, column: frame.column }));
  const lessonFrames = frames.filter((frame) => frame.file.startsWith("lessons/") && !frame.file.endsWith("/not-implemented.ts") && frame.file !== "lessons/not-implemented.ts");
  const loc = error.loc?.file ? { file: relative(root, error.loc.file), line: error.loc.line, column: error.loc.column + 1 } : undefined;
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
    failure.notImplemented = { lesson: error.lesson ?? "", what: error.what ?? "", ...(lessonFrames[0] && { location: lessonFrames[0] }) };
  }
  return failure;
}

function relative(root: string, file: string): string {
  if (!path.isAbsolute(file)) return toPosix(file);
  return toPosix(path.relative(root, file));
}
