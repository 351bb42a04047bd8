// @ts-check
// A setup file the test host adds to every run: it writes, synchronously, which test file is
// loading and which test is running to a small file the supervisor reads when a run overruns its
// time limit. Synchronously, because learner code stuck in a loop never lets an asynchronous
// message (vitest's own progress reports are batched on a timer) leave the worker.
//
// The file stays open and each note overwrites it in place, padded to the longest note so far:
// rewriting a file from scratch (writeFileSync) makes ext4 flush it on close, which costs
// milliseconds per test on a busy disk; a write into an open file costs microseconds. A reader
// sees one whole note followed by spaces, which JSON.parse ignores.

/** @import { ProgressNote } from "./host-protocol.ts" */
/** @import { RunnerTask } from "vitest" */

import { closeSync, openSync, writeSync } from "node:fs";
import { afterAll, beforeEach, expect } from "vitest";

const progressFile = process.env.WORKBOOK_PROGRESS_FILE;
const fd = openProgressFile();
let longest = 0;

function openProgressFile() {
  if (!progressFile) return undefined;
  try {
    return openSync(progressFile, "w");
  } catch {
    return undefined;
  }
}

/** @param {ProgressNote} progress */
function note(progress) {
  if (fd === undefined) return;
  const text = Buffer.from(JSON.stringify(progress));
  longest = Math.max(longest, text.length);
  const padded = Buffer.alloc(longest, " ");
  text.copy(padded);
  try {
    writeSync(fd, padded, 0, longest, 0);
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

// A worker thread shares its process's open files: this one is closed with the test file.
afterAll(() => {
  if (fd !== undefined) closeSync(fd);
});
