import { describe, expect, it } from "vitest";
import { colorLevel, createOutput } from "./output.ts";
import type { Env } from "../cli/env.ts";

describe("colorLevel", () => {
  it.each([
    [{}, true, 1],
    [{}, false, 0],
    [{ NO_COLOR: "1" }, true, 0],
    [{ NO_COLOR: "" }, true, 1],
    [{ TERM: "dumb" }, true, 0],
    [{ FORCE_COLOR: "1" }, false, 1],
    [{ FORCE_COLOR: "3" }, false, 3],
    [{ FORCE_COLOR: "" }, false, 1],
    [{ FORCE_COLOR: "0" }, true, 0],
    [{ FORCE_COLOR: "1", NO_COLOR: "1" }, false, 1],
  ])("env %j with a terminal: %s → level %i", (env, isTTY, level) => {
    expect(colorLevel(env, isTTY)).toBe(level);
  });
});

describe("createOutput", () => {
  function printed(env: Env, isTTY: boolean) {
    let stdout = "";
    let stderr = "";
    const out = createOutput(
      { isTTY, write: (chunk: string) => (stdout += chunk) },
      { write: (chunk: string) => (stderr += chunk) },
      env,
    );
    out.line(out.c.green("✓ passed"));
    out.warn("careful");
    return { stdout, stderr };
  }

  it("prints plain text when stdout is not a terminal", () => {
    expect(printed({}, false)).toEqual({ stdout: "✓ passed\n", stderr: "Warning: careful\n" });
  });

  it("prints plain text on a terminal when NO_COLOR is set", () => {
    expect(printed({ NO_COLOR: "1" }, true).stdout).toBe("✓ passed\n");
  });

  it("colors a terminal's output", () => {
    expect(printed({}, true).stdout).toBe("\u001b[32m✓ passed\u001b[39m\n");
  });

  it("colors piped output when FORCE_COLOR is set", () => {
    expect(printed({ FORCE_COLOR: "1" }, false).stdout).toBe("\u001b[32m✓ passed\u001b[39m\n");
  });
});

describe("the width text is wrapped to", () => {
  it.each([
    [undefined, 100],
    [0, 100],
    [30, 40],
    [132, 132],
  ])("is %s columns → %i", (columns, width) => {
    expect(createOutput({ write: () => true, columns }, { write: () => true }, {}).columns).toBe(width);
  });
});

describe("a narrow terminal", () => {
  it("wraps a long line at word boundaries, never mid-word", () => {
    let stdout = "";
    const out = createOutput(
      { isTTY: true, columns: 60, write: (chunk: string) => (stdout += chunk) },
      { write: () => true },
      {
        NO_COLOR: "1",
      },
    );
    out.line(
      "Next: make “allows the first max requests in a window and refuses the next” pass in lessons/lesson-6-rate-limiter/rate-limit.ts",
    );
    const lines = stdout.trimEnd().split("\n");
    expect(lines).toEqual([
      "Next: make “allows the first max requests in a window and",
      "  refuses the next” pass in",
      "  lessons/lesson-6-rate-limiter/rate-limit.ts",
    ]);
  });

  it("leaves lines alone in a pipe, for tools to read", () => {
    let stdout = "";
    const out = createOutput(
      { isTTY: false, columns: 60, write: (chunk: string) => (stdout += chunk) },
      { write: () => true },
      {},
    );
    const long = "word ".repeat(30).trim();
    out.line(long);
    expect(stdout).toBe(`${long}\n`);
  });
});
