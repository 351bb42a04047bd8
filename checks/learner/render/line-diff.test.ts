import { Chalk } from "chalk";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type DiffOp, diffLines, formatUnifiedDiff, splitLines, toHunks } from "./line-diff.ts";

const plain = new Chalk({ level: 0 });
const oldSide = (ops: DiffOp[]) => ops.filter((op) => op.kind !== "added").map((op) => op.text);
const newSide = (ops: DiffOp[]) => ops.filter((op) => op.kind !== "removed").map((op) => op.text);
const edits = (ops: DiffOp[]) => ops.filter((op) => op.kind !== "same").length;

describe("diffLines", () => {
  it.each([
    ["equal texts", ["a", "b"], ["a", "b"], 0],
    ["an added line", ["a", "c"], ["a", "b", "c"], 1],
    ["a removed line", ["a", "b", "c"], ["a", "c"], 1],
    ["a changed line", ["a", "b", "c"], ["a", "x", "c"], 2],
    ["an empty old text", [], ["a", "b"], 2],
    ["an empty new text", ["a", "b"], [], 2],
    ["two empty texts", [], [], 0],
  ])("finds the fewest edits for %s", (_case, a, b, count) => {
    const ops = diffLines(a, b);
    expect(oldSide(ops)).toEqual(a);
    expect(newSide(ops)).toEqual(b);
    expect(edits(ops)).toBe(count);
  });

  it("rebuilds both texts from any edit script it produces", () => {
    const lines = fc.array(fc.constantFrom("a", "b", "c", "d", ""), { maxLength: 30 });
    fc.assert(
      fc.property(lines, lines, (a, b) => {
        const ops = diffLines(a, b);
        expect(oldSide(ops)).toEqual(a);
        expect(newSide(ops)).toEqual(b);
      }),
    );
  });

  it("never needs more edits than deleting everything and adding everything", () => {
    const lines = fc.array(fc.constantFrom("x", "y", "z"), { maxLength: 25 });
    fc.assert(fc.property(lines, lines, (a, b) => edits(diffLines(a, b)) <= a.length + b.length));
  });
});

describe("splitLines", () => {
  it.each([
    ["", []],
    ["a", ["a"]],
    ["a\n", ["a"]],
    ["a\r\nb\r\n", ["a", "b"]],
    ["a\n\n", ["a", ""]],
  ])("splits %j", (text, lines) => {
    expect(splitLines(text)).toEqual(lines);
  });
});

describe("toHunks", () => {
  const numbered = (n: number) => Array.from({ length: n }, (_, i) => `line ${i + 1}`);

  it("keeps three lines of context and numbers them from 1", () => {
    const before = numbered(20);
    const after = before.map((line) => (line === "line 10" ? "line ten" : line));
    const [hunk, ...rest] = toHunks(diffLines(before, after));
    expect(rest).toEqual([]);
    expect(hunk).toMatchObject({ oldStart: 7, oldCount: 7, newStart: 7, newCount: 7 });
  });

  it("makes separate hunks of changes far apart and one hunk of changes close together", () => {
    const before = numbered(30);
    const far = before.map((line) => (line === "line 3" || line === "line 25" ? `${line}!` : line));
    const near = before.map((line) => (line === "line 3" || line === "line 8" ? `${line}!` : line));
    expect(toHunks(diffLines(before, far))).toHaveLength(2);
    expect(toHunks(diffLines(before, near))).toHaveLength(1);
  });

  it("has no hunks for equal texts", () => {
    expect(toHunks(diffLines(["a"], ["a"]))).toEqual([]);
  });
});

describe("formatUnifiedDiff", () => {
  it("prints a unified diff with headers and hunk markers", () => {
    expect(formatUnifiedDiff("yours", "reference", "a\nb\nc\n", "a\nB\nc\n", plain)).toEqual([
      "--- yours",
      "+++ reference",
      "@@ -1,3 +1,3 @@",
      " a",
      "-b",
      "+B",
      " c",
    ]);
  });

  it("counts a hunk that only adds to an empty file from line 0", () => {
    expect(formatUnifiedDiff("yours", "reference", "", "x\n", plain)).toContain("@@ -0,0 +1,1 @@");
  });

  it("prints nothing for equal texts", () => {
    expect(formatUnifiedDiff("yours", "reference", "same\n", "same\n", plain)).toEqual([]);
  });

  it("colors removed lines red and added lines green", () => {
    const lines = formatUnifiedDiff("yours", "reference", "a\n", "b\n", new Chalk({ level: 1 }));
    expect(lines).toContain("\u001b[31m-a\u001b[39m");
    expect(lines).toContain("\u001b[32m+b\u001b[39m");
  });
});
