import { describe, expect, it } from "vitest";
import { displayWidth, visible, wrapLine } from "./text.ts";

describe("visible", () => {
  it.each([
    ["an escape sequence that would clear the screen", "\u001b[2Jdone", "\\x1B[2Jdone"],
    ["a right-to-left override", "Ada\u202Eexe.txt", "Ada\\u202Eexe.txt"],
    ["isolates and marks", "a\u2066b\u2069c\u200Fd\u061Ce", "a\\u2066b\\u2069c\\u200Fd\\u061Ce"],
    ["line and paragraph separators", "a\u2028b\u2029c", "a\\u2028b\\u2029c"],
    ["a carriage return, a bell and DEL", "a\rb\u0007c\u007f", "a\\x0Db\\x07c\\x7F"],
    ["C1 controls", "a\u009bb", "a\\x9Bb"],
    ["zero-width characters and the byte-order mark", "a\u200Bb\uFEFFc", "a\\u200Bb\\uFEFFc"],
    ["a lone surrogate", "a\uD800b", "a\\uD800b"],
  ])("shows %s as a visible escape", (_case, text, shown) => {
    expect(visible(text)).toBe(shown);
  });

  it("keeps newlines, tabs, accents, emoji and other scripts as they are", () => {
    const text = "line one\n\tJosé 🎉 日本語 עברית";
    expect(visible(text)).toBe(text);
  });
});

describe("wrapLine", () => {
  it("wraps at word boundaries, never mid-word, keeping the indentation plus two spaces", () => {
    const line = "  Next: make “allows the first max requests in a window and refuses the next” pass in lessons/x.ts";
    const wrapped = wrapLine(line, 40);
    expect(wrapped).toEqual([
      "  Next: make “allows the first max",
      "    requests in a window and refuses the",
      "    next” pass in lessons/x.ts",
    ]);
    for (const part of wrapped) expect(displayWidth(part)).toBeLessThanOrEqual(40);
  });

  it("leaves a line that fits, and a single word wider than the line, whole", () => {
    expect(wrapLine("short", 60)).toEqual(["short"]);
    const long = `see ${"x".repeat(70)}`;
    expect(wrapLine(long, 60)).toEqual(["see", `  ${"x".repeat(70)}`]);
  });

  it("measures a line by what it shows, not by its color codes", () => {
    expect(wrapLine(`\u001b[31m${"a ".repeat(20).trim()}\u001b[39m`, 40)).toHaveLength(1);
  });
});
