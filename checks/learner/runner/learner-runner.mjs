// @ts-check
// vitest's test runner for a learner's checks, which also reads each failure's stack frames in
// the test worker, where the error was thrown. Left to vitest, the test host reads them when the
// failure arrives: for every frame in a file of node_modules (vitest's own, mostly) it reads the
// whole file from disk again and searches it for a source map, only to drop the frame after.
// On a stub, where every test fails, that was most of a run's time in the host (0.2 to 0.3 s of
// CPU for lesson 2's 118 tests), on the core the tests need. The frames of the lesson's files are
// the same: the worker has already mapped them back to the source.

/** @import { RunnerTask, RunnerTestCase, RunnerTestSuite } from "vitest" */

import { TestRunner } from "vitest";
import { stackFrames } from "./stack-frames.mjs";

export default class LearnerTestRunner extends TestRunner {
  /** @param {RunnerTestCase} test */
  onAfterRunTask(test) {
    super.onAfterRunTask(test);
    withFrames(test);
  }

  /** @param {RunnerTestSuite} suite */
  async onAfterRunSuite(suite) {
    await super.onAfterRunSuite(suite);
    withFrames(suite);
  }
}

/**
 * Gives each error of a test or suite its parsed frames (vitest's `stacks`), before the result
 * leaves the worker: vitest then uses them as they are.
 * @param {RunnerTask} task
 */
function withFrames(task) {
  for (const error of task.result?.errors ?? []) {
    if (error && typeof error === "object" && !("stacks" in error && error.stacks))
      Object.assign(error, { stacks: stackFrames(error.stack) });
  }
}
