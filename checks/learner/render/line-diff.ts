import type { ChalkInstance } from "chalk";

// A line diff (Myers' O(ND) algorithm) and unified-diff formatting for `npm run diff`: small
// enough to own, so the workbook needs no diff package.

export interface DiffOp {
  kind: "same" | "removed" | "added";
  text: string;
}

interface Hunk {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
  ops: DiffOp[];
}

export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** The shortest edit script turning `a` into `b`, as a sequence of kept, removed and added lines. */
export function diffLines(a: readonly string[], b: readonly string[]): DiffOp[] {
  const trace = shortestEditTrace(a, b);
  const offset = a.length + b.length + 1;
  const ops: DiffOp[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d >= 0; d--) {
    const v = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? k + 1 : k - 1;
    const prevX = v[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: "same", text: a[--x]! });
      y--;
    }
    if (d > 0) {
      if (x === prevX) ops.push({ kind: "added", text: b[--y]! });
      else ops.push({ kind: "removed", text: a[--x]! });
    }
  }
  return ops.reverse();
}

/** For each edit distance d, the furthest-reaching x on every diagonal before step d. */
function shortestEditTrace(a: readonly string[], b: readonly string[]): Int32Array[] {
  const offset = a.length + b.length + 1;
  const v = new Int32Array(2 * offset + 1);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= a.length + b.length; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < a.length && y < b.length && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= a.length && y >= b.length) return trace;
    }
  }
  return trace;
}

/** Groups changes with `context` unchanged lines around them; changes closer than 2×context share a hunk. */
export function toHunks(ops: readonly DiffOp[], context = 3): Hunk[] {
  const changed = ops.flatMap((op, i) => (op.kind === "same" ? [] : [i]));
  const hunks: Hunk[] = [];
  let groupStart = 0;
  while (groupStart < changed.length) {
    let groupEnd = groupStart;
    while (groupEnd + 1 < changed.length && changed[groupEnd + 1]! - changed[groupEnd]! <= 2 * context + 1) groupEnd++;
    const from = Math.max(0, changed[groupStart]! - context);
    const to = Math.min(ops.length, changed[groupEnd]! + context + 1);
    hunks.push(makeHunk(ops, from, to));
    groupStart = groupEnd + 1;
  }
  return hunks;
}

function makeHunk(ops: readonly DiffOp[], from: number, to: number): Hunk {
  let oldBefore = 0;
  let newBefore = 0;
  for (const op of ops.slice(0, from)) {
    if (op.kind !== "added") oldBefore++;
    if (op.kind !== "removed") newBefore++;
  }
  const slice = ops.slice(from, to);
  const oldCount = slice.filter((op) => op.kind !== "added").length;
  const newCount = slice.filter((op) => op.kind !== "removed").length;
  return {
    oldStart: oldCount === 0 ? oldBefore : oldBefore + 1,
    oldCount,
    newStart: newCount === 0 ? newBefore : newBefore + 1,
    newCount,
    ops: slice,
  };
}

/** A colored unified diff, one string per line; no lines at all when the texts are equal. */
export function formatUnifiedDiff(
  oldLabel: string,
  newLabel: string,
  oldText: string,
  newText: string,
  c: ChalkInstance,
): string[] {
  const hunks = toHunks(diffLines(splitLines(oldText), splitLines(newText)));
  if (hunks.length === 0) return [];
  const lines = [c.bold(`--- ${oldLabel}`), c.bold(`+++ ${newLabel}`)];
  for (const hunk of hunks) {
    lines.push(c.cyan(`@@ -${hunk.oldStart},${hunk.oldCount} +${hunk.newStart},${hunk.newCount} @@`));
    for (const op of hunk.ops) {
      if (op.kind === "same") lines.push(` ${op.text}`);
      else if (op.kind === "removed") lines.push(c.red(`-${op.text}`));
      else lines.push(c.green(`+${op.text}`));
    }
  }
  return lines;
}
