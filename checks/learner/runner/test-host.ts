import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Env } from "../cli/env.ts";
import type { HostMessage, HostSettings, ProgressNote, RunRequest } from "./host-protocol.ts";
import { HostProcess } from "./host-process.ts";
import {
  type Aborted,
  type RunResult,
  type TestTarget,
  displayName,
  relative,
  toPosix,
  toRunResult,
} from "./vitest-results.ts";

// The supervisor of a test host: one vitest process (vitest-host.mjs) that runs a learner's tests,
// stopped and replaced whenever learner code makes it useless. A run in which no test finishes
// within the time limit, or whose worker runs out of memory, or whose process dies, resolves with
// `aborted` saying so; the next run gets a fresh host.

export interface RunOptions {
  /** Files (absolute or relative to the root) changed since the last run of this host. */
  invalidate?: string[];
  /** Content to serve in place of files on disk (absolute paths), e.g. committed stubs. */
  pristine?: Record<string, string>;
  /**
   * Give the last results again of the test files none of whose files changed on disk since
   * (watch mode: a save usually concerns some of a lesson's test files, not all).
   */
  keepUnaffected?: boolean;
}

export interface TestHost {
  run(testFiles: string[], options?: RunOptions): Promise<RunResult>;
  close(): void;
}

export interface HostOptions {
  env?: Env;
  /** vitest's pool; its default (forks) unless a caller has a reason, as watch mode does. */
  pool?: "threads" | "forks" | "warm";
  /** Overrides WORKBOOK_TIMEOUT_MS. */
  timeoutMs?: number;
  /** For the warm pool: a file for what runs imported, kept for the next session (see HostSettings). */
  warmImports?: string;
}

/** How long learner code may go without a test finishing before the run is stopped. */
export const defaultTimeoutMs = 10_000;
/** The heap of the test host and of each test worker, in MiB. */
export const heapLimitMb = 1024;
/** Console output kept per run: what a terminal can show, not what a runaway loop can print. */
export const logLimits = { entries: 200, bytes: 64 * 1024 };
/** A host that dies this many times in a row before vitest is even loaded will not start. */
const maxStartFailures = 3;

/** WORKBOOK_TIMEOUT_MS when it is a positive number of milliseconds, else 10 s. */
export function timeoutFrom(env: Env): number {
  const value = Number(env.WORKBOOK_TIMEOUT_MS);
  return Number.isFinite(value) && value > 0 ? value : defaultTimeoutMs;
}

export function startTestHost(root: string, target: TestTarget, options: HostOptions = {}): TestHost {
  return new SupervisedTestHost(root, target, options);
}

/** One run on a fresh host, for commands that run once. */
export async function runTests(
  root: string,
  target: TestTarget,
  testFiles: string[],
  options?: RunOptions,
  hostOptions: HostOptions = {},
): Promise<RunResult> {
  const host = startTestHost(root, target, hostOptions);
  try {
    return await host.run(testFiles, options);
  } finally {
    host.close();
  }
}

interface Run {
  request: RunRequest;
  resolve: (result: RunResult) => void;
  reject: (error: Error) => void;
}

/** Where the run in progress is, as far as vitest's messages tell: what the progress file stands in for. */
type Whereabouts = { file: string; test?: string };

/** One run sent; the timer stops it when no test finishes within the time limit. */
type Running = { name: "running"; host: HostProcess; run: Run; timer: NodeJS.Timeout; last: Whereabouts };

type State =
  /** The host process is loading vitest; runs wait in the queue. */
  | { name: "starting"; host: HostProcess }
  | { name: "idle"; host: HostProcess }
  | Running
  /** vitest itself cannot start (a broken vitest.config.ts): every run is refused with why. */
  | { name: "failed"; error: Error }
  | { name: "closed" };

class SupervisedTestHost implements TestHost {
  readonly #root: string;
  readonly #env: Env;
  readonly #timeoutMs: number;
  readonly #settings: HostSettings;
  readonly #queue: Run[] = [];
  #state: State;
  #nextId = 1;
  #startFailures = 0;

  constructor(
    root: string,
    target: TestTarget,
    { env = process.env, pool, timeoutMs = timeoutFrom(env), warmImports }: HostOptions,
  ) {
    this.#root = root;
    this.#env = env;
    this.#timeoutMs = timeoutMs;
    this.#settings = {
      root,
      target,
      ...(pool && { pool }),
      progressFile: path.join(tmpdir(), `workbook-progress-${process.pid}-${randomUUID()}.json`),
      heapLimitMb,
      logLimits,
      ...(warmImports && { warmImports }),
    };
    this.#state = { name: "starting", host: this.#spawn() };
  }

  run(testFiles: string[], options: RunOptions = {}): Promise<RunResult> {
    if (this.#state.name === "failed") return Promise.reject(this.#state.error);
    if (this.#state.name === "closed") return Promise.reject(new Error("the test runner was closed"));
    const absolute = (file: string) => toPosix(path.resolve(this.#root, file));
    const request: RunRequest = {
      type: "run",
      id: this.#nextId++,
      files: testFiles.map(absolute),
      invalidate: (options.invalidate ?? []).map(absolute),
      pristine: Object.fromEntries(
        Object.entries(options.pristine ?? {}).map(([file, text]) => [absolute(file), text]),
      ),
      ...(options.keepUnaffected && { keepUnaffected: true }),
    };
    // Told at once while vitest starts: the run's threads can start meanwhile.
    if (this.#state.name === "starting" && this.#queue.length === 0)
      this.#state.host.send({ type: "expect", files: request.files.length });
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, resolve, reject });
      this.#sendNext();
    });
  }

  close(): void {
    if (this.#state.name === "closed") return;
    this.#stopHost();
    this.#rejectAll(new Error("the test runner was closed"));
    this.#state = { name: "closed" };
    rmSync(this.#settings.progressFile, { force: true });
  }

  #spawn(): HostProcess {
    rmSync(this.#settings.progressFile, { force: true });
    const host: HostProcess = new HostProcess(hostScript, this.#settings, this.#env, {
      message: (message) => this.#onMessage(host, message),
      exit: (how, stderr) => this.#onExit(host, how, stderr),
    });
    return host;
  }

  #sendNext(): void {
    if (this.#state.name !== "idle") return;
    const run = this.#queue.shift();
    if (!run) return;
    const { host } = this.#state;
    rmSync(this.#settings.progressFile, { force: true });
    host.send(run.request);
    this.#state = { name: "running", host, run, timer: this.#timer(run), last: { file: "" } };
  }

  #timer(run: Run): NodeJS.Timeout {
    const stop = () => this.#abort(run, { kind: "timeout", limitMs: this.#timeoutMs, ...this.#whereabouts() });
    return setTimeout(stop, this.#timeoutMs);
  }

  #onMessage(from: HostProcess, message: HostMessage): void {
    const state = this.#state;
    if (!("host" in state) || state.host !== from) return;
    if (message.type === "ready") {
      this.#startFailures = 0;
      if (state.name === "starting") this.#state = { name: "idle", host: from };
      this.#sendNext();
    } else if (message.type === "fatal" && message.id === undefined) {
      this.#fail(new Error(`vitest could not run: ${message.message}`));
    } else if (state.name === "running" && message.id === state.run.request.id) {
      this.#onRunMessage(state, message);
    }
  }

  #onRunMessage(state: Running, message: Exclude<HostMessage, { type: "ready" }>): void {
    if (message.type === "test-start") {
      state.last = { file: relative(this.#root, message.file), test: displayName(message.name) };
    } else if (message.type === "progress") {
      clearTimeout(state.timer);
      state.timer = this.#timer(state.run);
    } else if (message.type === "result") {
      const result = toRunResult(this.#root, message);
      // A worker thread out of memory ends its run with an error outside any test.
      if (result.unhandled?.some((u) => isOutOfMemory(u.failure.message))) this.#abort(state.run, { kind: "memory" });
      else this.#settle(() => state.run.resolve(result));
    } else if (isOutOfMemory(message.message)) {
      this.#abort(state.run, { kind: "memory" });
    } else {
      this.#settle(() => state.run.reject(new Error(`vitest could not run: ${message.message}`)));
    }
  }

  /** Ends the run in progress and sends the next one. */
  #settle(answer: () => void): void {
    if (this.#state.name !== "running") return;
    clearTimeout(this.#state.timer);
    this.#state = { name: "idle", host: this.#state.host };
    answer();
    this.#sendNext();
  }

  #onExit(from: HostProcess, how: string, stderr: string): void {
    const state = this.#state;
    if (!("host" in state) || state.host !== from) return;
    const detail = `the test runner stopped (${how})${stderr ? `: ${lastLine(stderr)}` : ""}`;
    const aborted: Omit<Aborted, "file"> = isOutOfMemory(stderr) ? { kind: "memory" } : { kind: "crash", detail };
    if (state.name === "running") {
      this.#abort(state.run, aborted);
    } else if (state.name === "starting" && ++this.#startFailures >= maxStartFailures) {
      this.#fail(new Error(`vitest could not start: ${detail}`));
    } else {
      // Died between runs, or while loading vitest: the run that was next is told why, the rest
      // wait for a fresh host.
      const next = state.name === "starting" ? this.#queue.shift() : undefined;
      this.#state = { name: "starting", host: this.#spawn() };
      next?.resolve(abortedResult(this.#root, next, aborted));
    }
  }

  /** Stops the host and every worker, answers the run, and starts a fresh host for the next one. */
  #abort(run: Run, aborted: Omit<Aborted, "file"> & { file?: string }): void {
    const state = this.#state;
    if (state.name !== "running" || state.run !== run) return;
    clearTimeout(state.timer);
    state.host.kill();
    this.#state = { name: "starting", host: this.#spawn() };
    run.resolve(abortedResult(this.#root, run, aborted));
  }

  #fail(error: Error): void {
    this.#stopHost();
    this.#state = { name: "failed", error };
    this.#rejectAll(error);
  }

  #stopHost(): void {
    const state = this.#state;
    if (state.name === "running") clearTimeout(state.timer);
    if ("host" in state) state.host.kill();
  }

  #rejectAll(error: Error): void {
    const state = this.#state;
    const runs = [...(state.name === "running" ? [state.run] : []), ...this.#queue.splice(0)];
    for (const run of runs) run.reject(error);
  }

  /** Where the run was: the progress file a test worker keeps, else the last test vitest said had started. */
  #whereabouts(): Whereabouts {
    const last = this.#state.name === "running" ? this.#state.last : { file: "" };
    try {
      const note = JSON.parse(readFileSync(this.#settings.progressFile, "utf8")) as ProgressNote;
      return {
        file: note.file ? relative(this.#root, note.file) : "",
        ...(note.phase === "test" && note.test && { test: note.test }),
      };
    } catch {
      return last;
    }
  }
}

function abortedResult(root: string, run: Run, aborted: Omit<Aborted, "file"> & { file?: string }): RunResult {
  const { files } = run.request;
  const file = aborted.file || (files.length === 1 ? relative(root, files[0]!) : "");
  return { tests: [], fileErrors: [], logs: [], aborted: { ...aborted, file } };
}

function isOutOfMemory(text: string): boolean {
  return /heap out of memory|ERR_WORKER_OUT_OF_MEMORY|reaching memory limit|Allocation failed/i.test(text);
}

function lastLine(text: string): string {
  return text.trim().split("\n").filter(Boolean).pop() ?? "";
}

const hostScript = checksFile("learner/runner/vitest-host.mjs");

/** A file of checks/ found from this module, whether it runs from its source or bundled in checks/.build. */
function checksFile(name: string): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, name))) return path.join(dir, name);
    if (path.dirname(dir) === dir) throw new Error(`${name} was not found`);
  }
}
