import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Patch, applyPatch, applyWhatApplies, createPatch, linesOf, parsePatch } from "./patch.ts";

const numbered = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}\n`).join("");
const reference = numbered(1, 20);
const mistake = reference.replace("line 10\n", "line ten\n");

function parsed(text: string): Patch {
  const result = parsePatch(text);
  if (!result.ok) throw new Error(`line ${result.line}: ${result.reason}`);
  return result.patch;
}

describe("createPatch", () => {
  it("writes a unified diff of the file with 3 lines of context", () => {
    expect(createPatch("solutions/lib/x.ts", reference, mistake)).toBe(
      [
        "--- a/solutions/lib/x.ts",
        "+++ b/solutions/lib/x.ts",
        "@@ -7,7 +7,7 @@",
        " line 7",
        " line 8",
        " line 9",
        "-line 10",
        "+line ten",
        " line 11",
        " line 12",
        " line 13",
        "",
      ].join("\n"),
    );
  });

  it("writes nothing for two equal texts", () => {
    expect(createPatch("x.ts", reference, reference)).toBe("");
  });

  it("marks a last line without a newline, as diff and git do", () => {
    const patch = createPatch("x.ts", "a\nb\n", "a\nc");
    expect(patch).toBe("--- a/x.ts\n+++ b/x.ts\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n\\ No newline at end of file\n");
    expect(applyPatch(parsed(patch), "a\nb\n")).toEqual({ ok: true, text: "a\nc" });
  });

  it("writes patches that git apply accepts too", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "patch-"));
    try {
      writeFileSync(path.join(dir, "x.ts"), reference);
      writeFileSync(path.join(dir, "x.patch"), createPatch("x.ts", reference, mistake));
      execFileSync("git", ["apply", "x.patch"], { cwd: dir, stdio: "pipe" });
      expect(readFileSync(path.join(dir, "x.ts"), "utf8")).toBe(mistake);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("applyPatch", () => {
  it("turns any text into any other through the patch between them", () => {
    const line = fc.constantFrom("a", "b", "c", "", " ", "-x", "+y", "@@", "\\", "d\r");
    const text = fc
      .tuple(fc.array(line, { maxLength: 30 }), fc.boolean())
      .map(([lines, newline]) => lines.join("\n") + (newline && lines.length > 0 ? "\n" : ""));
    fc.assert(
      fc.property(text, text, (before, after) => {
        const patch = createPatch("x.ts", before, after);
        if (patch === "") expect(before).toBe(after);
        else expect(applyPatch(parsed(patch), before)).toEqual({ ok: true, text: after });
      }),
    );
  });

  it.each([
    ["lines were added above it", `${numbered(101, 105)}${reference}`, 5],
    ["lines were removed above it", reference.replace(numbered(1, 4), ""), -4],
    ["lines were changed below it", reference.replace("line 19\n", "line nineteen\n"), 0],
  ])("still applies when %s, at the hunk's new place", (_case, moved, shift) => {
    const result = applyPatch(parsed(createPatch("x.ts", reference, mistake)), moved);
    expect(result).toEqual({ ok: true, text: moved.replace("line 10\n", "line ten\n") });
    expect(linesOf(moved).indexOf("line 10\n")).toBe(9 + shift);
  });

  it("places each hunk by how far the hunks before it moved", () => {
    const twoChanges = mistake.replace("line 18\n", "line eighteen\n");
    const patch = parsed(createPatch("x.ts", reference, twoChanges));
    expect(patch.hunks).toHaveLength(2);
    const moved = `${numbered(101, 103)}${reference}`;
    expect(applyPatch(patch, moved)).toEqual({
      ok: true,
      text: `${numbered(101, 103)}${twoChanges}`,
    });
  });

  it("accepts a blank context line whose leading space an editor trimmed away", () => {
    const text = "a\n\nb\nc\n";
    const patch = createPatch("x.ts", text, "a\n\nb\nd\n").replace("\n \n", "\n\n");
    expect(patch).toContain("\n\n");
    expect(applyPatch(parsed(patch), text)).toEqual({ ok: true, text: "a\n\nb\nd\n" });
  });

  it("refuses a hunk whose lines are no longer in the text, without fuzz or whitespace leniency", () => {
    const patch = parsed(createPatch("x.ts", reference, mistake));
    for (const changed of [
      reference.replace("line 10\n", "line 10 \n"),
      reference.replace("line 12\n", "line twelve\n"),
      reference.replace("line 8\n", "  line 8\n"),
    ]) {
      expect(applyPatch(patch, changed)).toMatchObject({ ok: false, kind: "no-match", hunk: { number: 1 } });
    }
  });

  it("refuses a hunk that moved and whose lines now occur at two places, rather than guess", () => {
    const patch = parsed(createPatch("x.ts", reference, mistake));
    const twice = `${numbered(7, 13)}${numbered(1, 2)}${reference}`;
    expect(applyPatch(patch, twice)).toMatchObject({ ok: false, kind: "ambiguous", lines: [1, 16] });
  });

  it("applies the hunks that still can and names the others", () => {
    const twoChanges = mistake.replace("line 18\n", "line eighteen\n");
    const patch = parsed(createPatch("x.ts", reference, twoChanges));
    const changed = reference.replace("line 11\n", "line eleven\n");
    const { text, failed } = applyWhatApplies(patch, changed);
    expect(text).toBe(changed.replace("line 18\n", "line eighteen\n"));
    expect(failed).toEqual([{ hunk: patch.hunks[0], kind: "no-match" }]);
    expect(patch.hunks[0]!.text).toEqual([
      "@@ -7,7 +7,7 @@",
      " line 7",
      " line 8",
      " line 9",
      "-line 10",
      "+line ten",
      " line 11",
      " line 12",
      " line 13",
    ]);
  });
});

describe("parsePatch", () => {
  const header = "--- a/x.ts\n+++ b/x.ts\n";

  it("reads the files' names without git's a/ and b/ or diff's times, and each hunk's lines", () => {
    const patch = parsed("--- a/x.ts\t2026-01-01 10:00\n+++ b/y.ts\n@@ -3 +3,2 @@\n-a\n+b\n+c\n");
    expect(patch).toEqual({
      oldFile: "x.ts",
      newFile: "y.ts",
      hunks: [
        {
          number: 1,
          oldStart: 3,
          oldLines: ["a\n"],
          newLines: ["b\n", "c\n"],
          text: ["@@ -3 +3,2 @@", "-a", "+b", "+c"],
        },
      ],
    });
  });

  it.each([
    ["an empty file", "", 1, 'it must start with a "--- a/<file>" line'],
    [
      "text before the patch",
      `About this mistake\n${header}@@ -1 +1 @@\n-a\n+b\n`,
      1,
      'it must start with a "--- a/<file>" line',
    ],
    ["no +++ line", "--- a/x.ts\n@@ -1 +1 @@\n-a\n+b\n", 2, 'a "+++ b/<file>" line must follow the "---" line'],
    ["no hunk", `${header}\n`, 3, "it holds no hunk (no line starting with @@)"],
    ["a broken hunk header", `${header}@@ -1 +one @@\n-a\n+b\n`, 3, 'expected a hunk header like "@@ -12,7 +12,8 @@"'],
    [
      "a hunk shorter than its header",
      `${header}@@ -1,3 +1,3 @@\n a\n-b\n+c\n@@ -9 +9 @@\n-d\n+e\n`,
      3,
      "hunk 1 ends early: its header promises 3 old lines and 3 new",
    ],
    [
      "a hunk cut off at the end of the file",
      `${header}@@ -1,2 +1,2 @@\n a\n-b\n`,
      3,
      "hunk 1 ends early: its header promises 2 old lines and 2 new",
    ],
    [
      "a hunk longer than its header",
      `${header}@@ -1,1 +1,2 @@\n-a\n+b\n c\n`,
      6,
      "hunk 1 holds more lines than the 1 old line and 2 new of its header",
    ],
    [
      "a line without a prefix",
      `${header}@@ -1,2 +1,2 @@\n a\n*b\n`,
      5,
      'hunk 1: a line must start with " ", "-" or "+"',
    ],
    [
      "a stray line after a hunk",
      `${header}@@ -1 +1 @@\n-a\n+b\nc\n`,
      6,
      'expected a hunk header like "@@ -12,7 +12,8 @@"',
    ],
    [
      "a marker before any line",
      `${header}@@ -1 +1 @@\n\\ No newline at end of file\n-a\n+b\n`,
      4,
      '"\\ No newline at end of file" follows no line of the hunk',
    ],
    [
      "a marker said twice",
      `${header}@@ -1 +1 @@\n-a\n\\ No newline at end of file\n\\ No newline at end of file\n+b\n`,
      6,
      '"\\ No newline at end of file" follows no line of the hunk',
    ],
    ["a hunk that changes nothing", `${header}@@ -1,2 +1,2 @@\n a\n b\n`, 3, "hunk 1 changes nothing"],
    [
      "hunks out of order",
      `${header}@@ -5 +5 @@\n-a\n+b\n@@ -2 +2 @@\n-c\n+d\n`,
      6,
      "hunk 2 starts before hunk 1 ends",
    ],
    [
      "a second file",
      `${header}@@ -1 +1 @@\n-a\n+b\n--- a/y.ts\n+++ b/y.ts\n@@ -1 +1 @@\n-a\n+b\n`,
      6,
      "it patches a second file; a patch here changes one",
    ],
  ])("refuses %s, naming the patch's line", (_case, text, line, reason) => {
    expect(parsePatch(text)).toEqual({ ok: false, line, reason });
  });

  it("allows blank lines after the last hunk", () => {
    expect(parsePatch(`${header}@@ -1 +1 @@\n-a\n+b\n\n\n`).ok).toBe(true);
  });
});
