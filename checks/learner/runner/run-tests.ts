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
import { type HostOptions, type RunOptions, type TestHost, startTestHost } from "./test-host.ts";
import type { RunResult, TestTarget } from "./vitest-results.ts";

export {
  type HostOptions,
  type RunOptions,
  type TestHost,
  defaultTimeoutMs,
  heapLimitMb,
  startTestHost,
  timeoutFrom,
} from "./test-host.ts";

/**
 * A learner's checks (check and watch mode) run vitest's thread pool: a run then answers in about
 * 0.3 s instead of 0.5 s, as starting a worker thread is cheaper than starting a process. Every
 * lesson's tests pass in both pools; verify keeps vitest's default (forks), as npm test does.
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
