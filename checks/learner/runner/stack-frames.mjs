// @ts-check
// The frames of an error's stack, read from its text: the files, lines and columns a failure can
// point at, without vitest's and Node's own. The test worker reads them when a test fails (see
// learner-runner.mjs), the vitest host for an error thrown outside any test.

/** @import { RawFrame } from "./host-protocol.ts" */

import path from "node:path";
import { fileURLToPath } from "node:url";

/** Frames of vitest's machinery and Node's, which no failure is worth pointing at (as vitest skips them). */
const internals = [
  /\/vitest\/dist\//,
  /\/@vitest\/\w+\/dist\//,
  /\/node_modules\/(chai|tinyspy)\//,
  /\/vite\/dist\/node\/module-runner/,
];

/**
 * @param {unknown} stack an error's `stack`
 * @returns {(RawFrame & { method: string })[]} innermost first
 */
export function stackFrames(stack) {
  if (typeof stack !== "string") return [];
  const frames = [];
  for (const line of stack.split("\n")) {
    const call = /^\s*at (?:(.+?) \((.+)\)|(.+))$/.exec(line);
    const where = /^(.+):(\d+):(\d+)$/.exec(call?.[2] ?? call?.[3] ?? "");
    if (!call || !where) continue;
    const file = where[1]?.startsWith("file://") ? fileURLToPath(where[1]) : (where[1] ?? "");
    // Node's own modules (node:internal/…), native and eval frames have no file to open.
    if (!path.isAbsolute(file) || internals.some((internal) => internal.test(file.split(path.sep).join("/")))) continue;
    frames.push({ method: call[1] ?? "", file, line: Number(where[2]), column: Number(where[3]) });
  }
  return frames;
}
