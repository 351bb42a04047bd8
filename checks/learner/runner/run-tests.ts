// How the commands run a learner's tests, in one import: a supervised vitest host (test-host.ts,
// driving vitest-host.mjs in the messages of host-protocol.ts) and the shapes its results take
// (vitest-results.ts).

export type {
  Aborted,
  Failure,
  FileError,
  Phases,
  RunResult,
  SourceLocation,
  TestOutcome,
  TestStatus,
  TestTarget,
  Unhandled,
} from "./vitest-results.ts";
export {
  type HostOptions,
  type RunOptions,
  type TestHost,
  defaultTimeoutMs,
  heapLimitMb,
  runTests,
  startTestHost,
  timeoutFrom,
} from "./test-host.ts";

/**
 * A learner's checks (check and watch mode) run in warm-pool.mjs: vitest's thread pool (a fresh
 * worker thread per test file, which starts faster than a process) with each run's threads
 * started, and their dependencies imported, before the run is asked for. Every lesson's tests
 * pass in every pool; verify keeps vitest's default (forks), as npm test does.
 */
export const learnerPool = "warm";
