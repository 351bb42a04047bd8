import { type ChildProcess, execFileSync, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Env } from "../cli/env.ts";

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
  /** Where a run's time went: the whole run in the test host, and vitest's phases summed over the files. */
  profile?: { runMs: number; phases: Phases };
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
  type?: string;
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

export type Phases = { environment: number; prepare: number; setup: number; import: number; tests: number };

export interface RawModule {
  file: string;
  phases?: Phases;
  errors: RawError[];
  tests: { name: string; fullName: string; state: string; errors: RawError[] }[];
}

export interface RawResult {
  modules: RawModule[];
  unhandledErrors: RawError[];
  logs: { content: string; type: string }[];
  logsCut?: { lines: number; bytes: number };
  runMs?: number;
}

type HostMessage =
  | { type: "ready" }
  | { type: "test-start"; id: number; file: string; name: string }
  | { type: "progress"; id: number }
  | ({ type: "result"; id: number } & RawResult)
  | { type: "fatal"; id?: number; message: string; stack?: string };

const hostScript = checksFile("learner/runner/vitest-host.mjs");

/** A file of checks/ found from this module, whether it runs from checks/lib or bundled in checks/.build. */
function checksFile(name: string): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, name))) return path.join(dir, name);
    if (path.dirname(dir) === dir) throw new Error(`${name} was not found`);
  }
}

/** How long learner code may go without a test finishing before the run is stopped. */
export const defaultTimeoutMs = 10_000;
/** The heap of the test host and of each test worker, in MiB (vitest-host.mjs passes it on). */
export const heapLimitMb = 1024;

export interface HostOptions {
  env?: Env;
  /** vitest's pool; its default (forks) unless a caller has a reason, as watch mode does. */
  pool?: "threads" | "forks";
  /** Overrides WORKBOOK_TIMEOUT_MS. */
  timeoutMs?: number;
}

/** WORKBOOK_TIMEOUT_MS when it is a positive number of milliseconds, else 10 s. */
export function timeoutFrom(env: Env): number {
  const value = Number(env.WORKBOOK_TIMEOUT_MS);
  return Number.isFinite(value) && value > 0 ? value : defaultTimeoutMs;
}

interface Pending {
  id: number;
  files: string[];
  resolve: (result: RunResult) => void;
  reject: (error: Error) => void;
}

/**
 * A test host under supervision: one vitest process, restarted whenever learner code makes it
 * useless. A run in which no test finishes within the time limit, or whose worker runs out of
 * memory, or whose process dies, resolves with `aborted` saying so; the next run gets a fresh host.
 */
export function startTestHost(root: string, target: TestTarget, options: HostOptions = {}): TestHost {
  const { env = process.env, pool, timeoutMs = timeoutFrom(env) } = options;
  const progressFile = path.join(tmpdir(), `workbook-progress-${process.pid}-${randomUUID()}.json`);
  let child: ChildProcess | undefined;
  let ready = false;
  let stderr = "";
  let pending: Pending | undefined;
  let queued: { message: object; pending: Pending }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let nextId = 1;

  const spawnHost = () => {
    ready = false;
    stderr = "";
    rmSync(progressFile, { force: true });
    const started = fork(hostScript, [root, target, pool ?? "", progressFile], {
      cwd: root,
      // Node's own type insists on NODE_ENV, which Next.js's types declare required.
      env: env as NodeJS.ProcessEnv,
      // Not tsx's loader hooks, which the CLI itself runs under: that is the point of this process.
      // Worker threads inherit this heap limit; forked workers are given it by the host.
      execArgv: [`--max-old-space-size=${heapLimitMb}`],
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      serialization: "advanced",
      // Its own process group, so that stopping it stops every test worker it started.
      detached: process.platform !== "win32",
    });
    child = started;
    started.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    started.on("message", (message: HostMessage) => onMessage(started, message));
    started.on("error", (error) => onExit(started, error.message));
    started.on("exit", (code, signal) => onExit(started, signal ?? `exit code ${code}`));
  };

  const armTimer = () => {
    clearTimeout(timer);
    if (!pending || !ready) return;
    timer = setTimeout(() => abort(pending!, { kind: "timeout", limitMs: timeoutMs, ...readProgress() }), timeoutMs);
  };
  /** The last test vitest said had started: what the progress file stands in for when it is missing. */
  let started: { file: string; test?: string } = { file: "" };

  const readProgress = (): { file: string; test?: string } => {
    try {
      const progress = JSON.parse(readFileSync(progressFile, "utf8")) as {
        file?: string;
        test?: string;
        phase?: string;
      };
      return {
        file: progress.file ? relative(root, progress.file) : "",
        ...(progress.phase === "test" && progress.test && { test: progress.test }),
      };
    } catch {
      return started;
    }
  };

  // Stops the host and every worker, answers the run, and starts a fresh host for the next one.
  const abort = (run: Pending, aborted: Omit<Aborted, "file"> & { file?: string }) => {
    if (pending !== run) return;
    pending = undefined;
    clearTimeout(timer);
    const file = aborted.file || (run.files.length === 1 ? relative(root, run.files[0]!) : "");
    run.resolve({ tests: [], fileErrors: [], logs: [], aborted: { ...aborted, file } });
    stopChild();
    if (!closed) {
      spawnHost();
      sendNext();
    }
  };

  const stopChild = () => {
    const old = child;
    child = undefined;
    if (!old) return;
    old.removeAllListeners("exit");
    old.removeAllListeners("message");
    old.removeAllListeners("error");
    killTree(old);
  };

  function onMessage(from: ChildProcess, message: HostMessage) {
    if (from !== child) return;
    if (message.type === "ready") {
      ready = true;
      armTimer();
    } else if (message.type === "test-start") {
      if (pending?.id === message.id)
        started = { file: relative(root, message.file), test: message.name.split(" > ").join(" › ") };
    } else if (message.type === "progress") {
      if (pending?.id === message.id) armTimer();
    } else if (message.type === "result") {
      if (pending?.id !== message.id) return;
      const run = pending;
      const result = toRunResult(root, message);
      // A worker thread out of memory ends its run with an error outside any test.
      if ((result.unhandled ?? []).some((u) => isOutOfMemory(u.failure.message))) return abort(run, { kind: "memory" });
      pending = undefined;
      clearTimeout(timer);
      run.resolve(result);
      sendNext();
    } else if (message.type === "fatal") {
      if (message.id === undefined) {
        // vitest itself could not start (a broken vitest.config.ts): no run can succeed.
        fail(new Error(`vitest could not run: ${message.message}`));
        return;
      }
      if (pending?.id !== message.id) return;
      if (isOutOfMemory(message.message)) return abort(pending, { kind: "memory" });
      const run = pending;
      pending = undefined;
      clearTimeout(timer);
      run.reject(new Error(`vitest could not run: ${message.message}`));
      sendNext();
    }
  }

  function onExit(from: ChildProcess, how: string) {
    if (from !== child) return;
    // The last of stderr (where Node says it ran out of memory) may arrive just after the exit.
    if (from.stderr && !from.stderr.readableEnded) {
      const settle = () => {
        clearTimeout(wait);
        from.stderr?.off("end", settle);
        onExited(from, how);
      };
      const wait = setTimeout(settle, 200);
      from.stderr.once("end", settle);
      return;
    }
    onExited(from, how);
  }

  function onExited(from: ChildProcess, how: string) {
    if (from !== child) return;
    if (pending) {
      const memory = isOutOfMemory(stderr);
      const detail = `the test runner stopped (${how})${stderr ? `: ${lastLine(stderr)}` : ""}`;
      return abort(pending, memory ? { kind: "memory" } : { kind: "crash", detail });
    }
    // Died between runs: start again before the next one is asked for.
    stopChild();
    if (!closed && !failure) spawnHost();
  }

  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure = error;
    clearTimeout(timer);
    const runs = [...(pending ? [pending] : []), ...queued.map((q) => q.pending)];
    pending = undefined;
    queued = [];
    for (const run of runs) run.reject(error);
  };

  function sendNext() {
    if (pending || queued.length === 0 || !child) return;
    const next = queued.shift()!;
    pending = next.pending;
    started = { file: "" };
    child.send(next.message);
    armTimer();
  }

  spawnHost();
  return {
    run(testFiles, options = {}) {
      if (failure) return Promise.reject(failure);
      if (closed) return Promise.reject(new Error("the test runner was closed"));
      const id = nextId++;
      const absolute = (file: string) => toPosix(path.resolve(root, file));
      const files = testFiles.map(absolute);
      return new Promise((resolve, reject) => {
        const message = {
          type: "run",
          id,
          files,
          invalidate: (options.invalidate ?? []).map(absolute),
          pristine: Object.fromEntries(
            Object.entries(options.pristine ?? {}).map(([file, content]) => [absolute(file), content]),
          ),
        };
        queued.push({ message, pending: { id, files, resolve, reject } });
        sendNext();
      });
    },
    close() {
      if (closed) return;
      closed = true;
      fail(new Error("the test runner was closed"));
      stopChild();
      rmSync(progressFile, { force: true });
    },
  };
}

function isOutOfMemory(text: string): boolean {
  return /heap out of memory|ERR_WORKER_OUT_OF_MEMORY|reaching memory limit|Allocation failed/i.test(text);
}

/** Stops a process and everything it started: its process group, or its tree on Windows. */
function killTree(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    if (process.platform === "win32")
      execFileSync("taskkill", ["/pid", String(child.pid), "/T", "/F"], { stdio: "ignore" });
    else process.kill(-child.pid, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
}

/**
 * A learner's checks (check and watch mode) run vitest's thread pool: a run then answers in about
 * 0.3 s instead of 0.5 s, as starting a worker thread is cheaper than starting a process. Every
 * lesson's tests pass in both pools; verify and report keep vitest's default (forks), as npm test does.
 */
export const learnerPool = "threads";

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
export async function runTests(
  root: string,
  target: TestTarget,
  testFiles: string[],
  options?: RunOptions,
  hostOptions: HostOptions = {},
): Promise<RunResult> {
  const host = takeTestHost(root, target, hostOptions);
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
        ...(status === "failed" && {
          failure: toFailure(
            root,
            firstError ?? { name: "Error", message: "the test failed without an error message" },
          ),
        }),
      });
    }
  }
  const unhandled: Unhandled[] = [];
  const seen = new Set<string>();
  for (const error of raw.unhandledErrors) {
    const one: Unhandled = { kind: unhandledKind(error), failure: toFailure(root, error) };
    // The same stray promise in a function every test calls fails once per test: say it once.
    const key = JSON.stringify([one.kind, one.failure.message, one.failure.location]);
    if (!seen.has(key)) unhandled.push(one);
    seen.add(key);
  }
  return {
    tests,
    fileErrors,
    logs: raw.logs.map((log) => log.content.replace(/\n$/, "")),
    unhandled,
    logsCut: raw.logsCut ?? { lines: 0, bytes: 0 },
    ...(raw.runMs !== undefined && { profile: { runMs: raw.runMs, phases: sumPhases(raw.modules) } }),
  };
}

function sumPhases(modules: RawModule[]): Phases {
  const sum: Phases = { environment: 0, prepare: 0, setup: 0, import: 0, tests: 0 };
  for (const module of modules)
    for (const key of Object.keys(sum) as (keyof Phases)[]) sum[key] += module.phases?.[key] ?? 0;
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
  const frames = (error.stacks ?? []).map((frame) => ({
    file: relative(root, frame.file),
    line: frame.line,
    column: frame.column,
  }));
  const lessonFrames = frames.filter(
    (frame) =>
      frame.file.startsWith("lessons/") &&
      !frame.file.endsWith("/not-implemented.ts") &&
      frame.file !== "lessons/not-implemented.ts",
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

function relative(root: string, file: string): string {
  if (!path.isAbsolute(file)) return toPosix(file);
  return toPosix(path.relative(root, file));
}
