import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { stackFrames } from "./stack-frames.mjs";

describe("stackFrames", () => {
  it("reads each frame's method, file, line and column, innermost first", () => {
    const stack = [
      "NotImplementedError: add is not implemented yet (lesson-1)",
      "    at notImplemented (/p/lessons/not-implemented.ts:14:9)",
      "    at add (/p/lessons/lesson-1-adder/adder.ts:4:10)",
      "    at /p/lessons/lesson-1-adder/adder.test.ts:6:12",
    ].join("\n");
    expect(stackFrames(stack)).toEqual([
      { method: "notImplemented", file: "/p/lessons/not-implemented.ts", line: 14, column: 9 },
      { method: "add", file: "/p/lessons/lesson-1-adder/adder.ts", line: 4, column: 10 },
      { method: "", file: "/p/lessons/lesson-1-adder/adder.test.ts", line: 6, column: 12 },
    ]);
  });

  it("reads files given as file: URLs", () => {
    const url = pathToFileURL("/p/node_modules/zod/index.js").href;
    expect(stackFrames(`Error: no\n    at parse (${url}:10:3)`)).toEqual([
      { method: "parse", file: "/p/node_modules/zod/index.js", line: 10, column: 3 },
    ]);
  });

  it("leaves out vitest's frames, Node's own and those with no file", () => {
    const stack = [
      "Error: x",
      "    at /p/lessons/a.test.ts:1:1",
      "    at file:///p/node_modules/@vitest/runner/dist/chunk-artifact.js:2271:20",
      "    at runTest (/p/node_modules/vitest/dist/chunks/test.js:10:5)",
      "    at Assertion.toBe (/p/node_modules/chai/index.js:1:1)",
      "    at process.processTicksAndRejections (node:internal/process/task_queues:105:5)",
      "    at async Promise.all (index 0)",
      "    at eval (eval at <anonymous> (/p/x.js:1:1), <anonymous>:1:1)",
    ].join("\n");
    expect(stackFrames(stack).map((frame) => frame.file)).toEqual(["/p/lessons/a.test.ts"]);
  });

  it("finds nothing in what is not a stack", () => {
    expect(stackFrames(undefined)).toEqual([]);
    expect(stackFrames("just a message")).toEqual([]);
  });
});
