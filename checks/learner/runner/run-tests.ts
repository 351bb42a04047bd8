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
 * A learner's checks (check and watch mode) run vitest's thread pool: a run then answers in about
 * 0.3 s instead of 0.5 s, as starting a worker thread is cheaper than starting a process. Every
 * lesson's tests pass in both pools; verify keeps vitest's default (forks), as npm test does.
 */
export const learnerPool = "threads";
