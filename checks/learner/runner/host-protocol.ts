// The one definition of what the supervisor (test-host.ts) and the vitest host (vitest-host.mjs)
// say to each other, and of the progress note a test worker leaves (test-progress.mjs). Types
// only: the host runs in plain Node, where nothing of a .ts file can be imported at run time, and
// both .mjs files are type-checked against these through `// @ts-check` and JSDoc `@import`.

/** What the supervisor starts the host with: its only argument, as JSON. */
export interface HostSettings {
  root: string;
  /** vitest's mode: vitest.config.ts picks the lesson project that fits it. */
  target: "stub" | "reference";
  /** vitest's pool (warm: warm-pool.mjs); undefined keeps vitest's default (forks). */
  pool?: "threads" | "forks" | "warm";
  /** Where test workers note, synchronously, the file loading and the test running (a ProgressNote). */
  progressFile: string;
  /** The heap a test worker may use, in MiB: past it the worker dies and the run is stopped for memory. */
  heapLimitMb: number;
  /** Console output kept per run, in entries and in bytes: what a screen can show, not what a loop can print. */
  logLimits: { entries: number; bytes: number };
  /** For the warm pool: where what runs imported is kept, for the next session's first run to import ahead. */
  warmImports?: string;
}

/** Supervisor → host: run these test files. */
export interface RunRequest {
  type: "run";
  id: number;
  /** Absolute paths, forward slashes. */
  files: string[];
  /** Files changed since the host's last run, which vitest must transform again. */
  invalidate: string[];
  /** Content to serve in place of files on disk, by absolute path (npm run verify: the committed stubs). */
  pristine: Record<string, string>;
  /** Give the last results again of test files none of whose files changed since (kept-results.mjs). */
  keepUnaffected?: boolean;
}

/** Supervisor → host, while vitest starts: the first run will test this many files. */
export interface ExpectRequest {
  type: "expect";
  files: number;
}

export type SupervisorMessage = RunRequest | ExpectRequest;

/** Host → supervisor. */
export type HostMessage =
  /** vitest is loaded: runs may start, and the time limit applies from now on. */
  | { type: "ready" }
  /** A test started; names joined with " > ", as vitest joins them. */
  | { type: "test-start"; id: number; file: string; name: string }
  /** A test finished: learner code is not stuck. */
  | { type: "progress"; id: number }
  | ({ type: "result"; id: number } & RawResult)
  /** vitest could not run: without an id, it could not even start (a broken vitest.config.ts). */
  | { type: "fatal"; id?: number; message: string };

export interface RawResult {
  modules: RawModule[];
  /** Errors thrown outside any test: a promise nobody awaited, a throw inside a timer. */
  unhandledErrors: RawError[];
  /** What the tests printed, up to the log limits. */
  logs: string[];
  /** What the log limits left out. */
  logsCut: { lines: number; bytes: number };
  /** The whole run in the host, in milliseconds. */
  runMs: number;
  /** In warm-pool.mjs: how many test files found their thread started ahead, and how many had to start one. */
  workers?: { ready: number; started: number };
  /** With keepUnaffected: the test files whose last results were given again rather than run. */
  kept?: string[];
}

export interface RawModule {
  /** The test file, absolute. */
  file: string;
  phases: Phases;
  /** The file's own errors (it failed to load) and its suites' (a beforeAll that threw). */
  errors: RawError[];
  tests: RawTest[];
}

interface RawTest {
  name: string;
  fullName: string;
  state: "passed" | "failed" | "skipped" | "pending";
  errors: RawError[];
}

/** vitest's own phases of one test file, in milliseconds. */
export interface Phases {
  environment: number;
  prepare: number;
  setup: number;
  import: number;
  tests: number;
}

export interface RawError {
  name?: string;
  /** vitest's word for an error outside any test: "Unhandled Rejection", "Uncaught Exception". */
  type?: string;
  message: string;
  /** Innermost first; absolute files. */
  stacks?: RawFrame[];
  expected?: string;
  actual?: string;
  diff?: string;
  /** A NotImplementedError's lesson and the function it stands in for. */
  lesson?: string;
  what?: string;
  /** Where a transform (syntax) error is; column counted from 0. */
  loc?: { file?: string; line: number; column: number };
}

export interface RawFrame {
  file: string;
  line: number;
  column: number;
}

/** What a test worker writes to HostSettings.progressFile: read when a run overruns its time limit. */
export interface ProgressNote {
  /** The test file, absolute; "" when vitest did not say. */
  file: string;
  phase: "load" | "test";
  /** Suite and test names joined with " › ", while a test runs. */
  test?: string;
}

/** What a warm test worker (warm-worker.mjs) is started with. */
export interface WarmWorkerData {
  /** Dependencies to import before the test file: what earlier runs imported from node_modules. */
  preload: string[];
}

/** What a warm test worker says besides vitest's own messages. */
export type WarmWorkerNote =
  /** It has imported what it was to import ahead: the next one may start. */
  | { __workbook__: "warm" }
  /** What its test file imported from outside the project's files, for the next ones to import ahead. */
  | { __workbook__: "imports"; ids: string[] };
