// A setup file the test host adds to every run: it writes, synchronously, which test file is
// loading and which test is running to a small file the CLI reads when a run overruns its time
// limit. Synchronously, because learner code stuck in a loop never lets an asynchronous message
// (vitest's own progress reports are batched on a timer) leave the worker.

import { writeFileSync } from "node:fs";
import { beforeEach, expect } from "vitest";

const progressFile = process.env.WORKBOOK_PROGRESS_FILE;

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
  for (let task = context.task; task && !("filepath" in task); task = task.suite) names.unshift(task.name);
  note({ file: context.task.file?.filepath ?? "", phase: "test", test: names.join(" › ") });
});
