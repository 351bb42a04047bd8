import { diffLines, toHunks } from "../learner/render/line-diff.ts";

// Unified diffs for the mistake catalogue, written and applied here rather than by `git apply` or
// `patch`, so that verify needs nothing beyond Node and says in its own words what went wrong.
// Application is strict: every context and removed line must match the text exactly (no fuzz, no
// whitespace leniency). A hunk is looked for where its header says, moved by as much as the hunks
// before it moved; failing that, anywhere after the previous hunk, but only where its lines occur
// exactly once. So a change elsewhere in the file leaves a patch applying, and a block that now
// appears twice is never patched at a guess.
//
// Lines are compared with their line ends, so CRLF files and a file without a newline at its end
// ("\ No newline at end of file") are recorded and restored exactly.

interface PatchHunk {
  /** The hunk's number in the patch, from 1. */
  number: number;
  /** Where the hunk's old lines start in the file it was written against, from 1. */
  oldStart: number;
  oldLines: string[];
  newLines: string[];
  /** The hunk as written in the patch, header included: to show a hunk that no longer applies. */
  text: string[];
}

export interface Patch {
  /** The file named on the `---` line, without its "a/". */
  oldFile: string;
  /** The file named on the `+++` line, without its "b/". */
  newFile: string;
  hunks: PatchHunk[];
}

type ParsedPatch = { ok: true; patch: Patch } | { ok: false; line: number; reason: string };

/** A hunk whose old lines are nowhere after the previous hunk, or at several places there. */
export type HunkFailure =
  | { hunk: PatchHunk; kind: "no-match" }
  | { hunk: PatchHunk; kind: "ambiguous"; lines: number[] };

type AppliedPatch = { ok: true; text: string } | ({ ok: false } & HunkFailure);

const noNewline = "\\ No newline at end of file";

/** The text's lines, each with its line end; the last has none when the text does not end in one. */
export function linesOf(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** A unified diff with 3 lines of context turning `before` into `after`, both being `file`; "" when they are equal. */
export function createPatch(file: string, before: string, after: string): string {
  const hunks = toHunks(diffLines(linesOf(before), linesOf(after)), 3);
  if (hunks.length === 0) return "";
  const out = [`--- a/${file}\n`, `+++ b/${file}\n`];
  for (const hunk of hunks) {
    out.push(`@@ -${hunk.oldStart},${hunk.oldCount} +${hunk.newStart},${hunk.newCount} @@\n`);
    for (const op of hunk.ops) {
      const prefix = op.kind === "same" ? " " : op.kind === "removed" ? "-" : "+";
      out.push(op.text.endsWith("\n") ? `${prefix}${op.text}` : `${prefix}${op.text}\n${noNewline}\n`);
    }
  }
  return out.join("");
}

/** Reads a unified diff of one file; anything it cannot read exactly is refused with the patch's line number. */
export function parsePatch(text: string): ParsedPatch {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const fail = (index: number, reason: string): ParsedPatch => ({ ok: false, line: index + 1, reason });
  const oldFile = /^--- (.+)$/.exec(lines[0] ?? "")?.[1];
  if (oldFile === undefined) return fail(0, 'it must start with a "--- a/<file>" line');
  const newFile = /^\+\+\+ (.+)$/.exec(lines[1] ?? "")?.[1];
  if (newFile === undefined) return fail(1, 'a "+++ b/<file>" line must follow the "---" line');
  const hunks: PatchHunk[] = [];
  let index = 2;
  // Blank lines after the last hunk are allowed: an editor may add one.
  while (index < lines.length && !lines.slice(index).every((line) => line.trim() === "")) {
    if (lines[index]!.startsWith("--- ")) return fail(index, "it patches a second file; a patch here changes one");
    const read = readHunk(lines, index, hunks.length + 1);
    if (!read.ok) return fail(read.index, read.reason);
    const previous = hunks[hunks.length - 1];
    if (previous && read.hunk.oldStart < previous.oldStart + previous.oldLines.length)
      return fail(index, `hunk ${read.hunk.number} starts before hunk ${previous.number} ends`);
    hunks.push(read.hunk);
    index = read.next;
  }
  if (hunks.length === 0) return fail(index, "it holds no hunk (no line starting with @@)");
  return { ok: true, patch: { oldFile: stripName(oldFile, "a/"), newFile: stripName(newFile, "b/"), hunks } };
}

// diff -u puts a tab and a time after the name; git's a/ and b/ say which side a name is on.
function stripName(name: string, side: string): string {
  const bare = name.split("\t")[0]!;
  return bare.startsWith(side) ? bare.slice(side.length) : bare;
}

type ReadHunk = { ok: true; hunk: PatchHunk; next: number } | { ok: false; index: number; reason: string };

function readHunk(lines: string[], start: number, number: number): ReadHunk {
  const header = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(lines[start]!);
  if (!header) return { ok: false, index: start, reason: 'expected a hunk header like "@@ -12,7 +12,8 @@"' };
  const oldCount = header[2] === undefined ? 1 : Number(header[2]);
  const newCount = header[4] === undefined ? 1 : Number(header[4]);
  const hunk: PatchHunk = { number, oldStart: Number(header[1]), oldLines: [], newLines: [], text: [lines[start]!] };
  const promised = `${oldCount} old line${oldCount === 1 ? "" : "s"} and ${newCount} new`;
  let index = start + 1;
  for (; hunk.oldLines.length < oldCount || hunk.newLines.length < newCount; index++) {
    const line = lines[index];
    if (line === undefined || line.startsWith("@@"))
      return { ok: false, index: start, reason: `hunk ${number} ends early: its header promises ${promised}` };
    if (line.startsWith("\\")) {
      if (!endWithoutNewline(hunk)) return { ok: false, index, reason: `"${line}" follows no line of the hunk` };
      hunk.text.push(line);
      continue;
    }
    // An empty line is a blank context line whose leading space an editor trimmed away.
    const kind = line === "" ? " " : line[0];
    if (kind !== " " && kind !== "-" && kind !== "+")
      return { ok: false, index, reason: `hunk ${number}: a line must start with " ", "-" or "+"` };
    if (kind !== "+") hunk.oldLines.push(`${line.slice(1)}\n`);
    if (kind !== "-") hunk.newLines.push(`${line.slice(1)}\n`);
    hunk.text.push(line);
    if (hunk.oldLines.length > oldCount || hunk.newLines.length > newCount)
      return { ok: false, index, reason: `hunk ${number} holds more lines than the ${promised} of its header` };
  }
  // The marker may also follow the hunk's last line.
  if (lines[index]?.startsWith("\\") && endWithoutNewline(hunk)) hunk.text.push(lines[index++]!);
  if (!hunk.text.some((line) => line.startsWith("-") || line.startsWith("+")))
    return { ok: false, index: start, reason: `hunk ${number} changes nothing` };
  return { ok: true, hunk, next: index };
}

/** Takes the line end off the hunk's last line, as "\ No newline at end of file" says; false when there is none. */
function endWithoutNewline(hunk: PatchHunk): boolean {
  const previous = hunk.text[hunk.text.length - 1]!;
  // The header is no line, and a marker says it once.
  if (hunk.text.length < 2 || previous.startsWith("\\")) return false;
  const kind = previous === "" ? " " : previous[0];
  const chop = (lines: string[]) => lines.push(lines.pop()!.slice(0, -1));
  if (kind !== "+") chop(hunk.oldLines);
  if (kind !== "-") chop(hunk.newLines);
  return true;
}

/** The text with every hunk applied, or the first hunk that cannot be placed. */
export function applyPatch(patch: Patch, text: string): AppliedPatch {
  const { text: patched, failed } = applyWhatApplies(patch, text);
  return failed[0] ? { ok: false, ...failed[0] } : { ok: true, text: patched };
}

/**
 * The text with every hunk applied that can be placed, and the hunks that cannot: to start a
 * change over on a file that has changed under some of its hunks.
 */
export function applyWhatApplies(patch: Patch, text: string): { text: string; failed: HunkFailure[] } {
  const lines = linesOf(text);
  const out: string[] = [];
  const failed: HunkFailure[] = [];
  let cursor = 0;
  let shift = 0;
  for (const hunk of patch.hunks) {
    const at = placeHunk(lines, hunk, cursor, shift);
    if (typeof at !== "number") {
      failed.push({ hunk, ...at });
      continue;
    }
    out.push(...lines.slice(cursor, at), ...hunk.newLines);
    cursor = at + hunk.oldLines.length;
    shift = at - written(hunk);
  }
  out.push(...lines.slice(cursor));
  return { text: out.join(""), failed };
}

/** Where the hunk's old lines start in the file it was written against, from 0. */
function written(hunk: PatchHunk): number {
  // A hunk without old lines (possible only without context) names the line it follows.
  return hunk.oldLines.length === 0 ? hunk.oldStart : hunk.oldStart - 1;
}

function placeHunk(
  lines: string[],
  hunk: PatchHunk,
  from: number,
  shift: number,
): number | { kind: "no-match" } | { kind: "ambiguous"; lines: number[] } {
  const expected = written(hunk) + shift;
  if (hunk.oldLines.length === 0) return Math.min(Math.max(expected, from), lines.length);
  const matchesAt = (at: number) => hunk.oldLines.every((line, i) => lines[at + i] === line);
  if (expected >= from && matchesAt(expected)) return expected;
  const places: number[] = [];
  for (let at = from; at + hunk.oldLines.length <= lines.length; at++) if (matchesAt(at)) places.push(at);
  if (places.length === 1) return places[0]!;
  if (places.length === 0) return { kind: "no-match" };
  return { kind: "ambiguous", lines: places.map((at) => at + 1) };
}
