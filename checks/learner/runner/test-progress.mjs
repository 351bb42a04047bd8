// @ts-check
// A setup file the test host adds to every run: it writes, synchronously, which test file is
// loading and which test is running to a small file the supervisor reads when a run overruns its
// time limit. Synchronously, because learner code stuck in a loop never lets an asynchronous
// message (vitest's own progress reports are batched on a timer) leave the worker.

/** @import { ProgressNote } from "./host-protocol.ts" */
/** @import { RunnerTask } from "vitest" */

import { writeFileSync } from "node:fs";
import { beforeEach, expect } from "vitest";

const progressFile = process.env.WORKBOOK_PROGRESS_FILE;

/** @param {ProgressNote} progress */
function note(progress) {
  if (!progressFile) return;
  try {
    writeFileSync(progressFile, JSON.stringify(progress));
  } catch {
    // Only a better message is lost.
  }
}

note({ file: expect.getState().testPath ?? "", phase: "load" });

beforeEach((context) => {
  const names = [];
  /** @type {RunnerTask | undefined} */
  let task = context.task;
  for (; task && !("filepath" in task); task = task.suite) names.unshift(task.name);
  note({ file: context.task.file?.filepath ?? "", phase: "test", test: names.join(" › ") });
});
