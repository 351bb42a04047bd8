import { readFileSync } from "node:fs";
import path from "node:path";
import { type Lesson, stubPath } from "./lessons.ts";

// Whether a lesson's file holds the reference solution, however it got there (npm run solve, cp,
// an editor's paste): its code compared with the reference's, comments and whitespace aside, so
// reformatting a copy or deleting its comments does not make it the learner's own work.

/** True when any of the lesson's files holds its reference's code. */
export function holdsReference(root: string, lesson: Lesson): boolean {
  return lesson.files.some((file) => {
    try {
      const yours = readFileSync(path.join(root, stubPath(lesson, file)), "utf8");
      const reference = readFileSync(path.join(root, file.reference), "utf8");
      return sameCode(yours, reference);
    } catch {
      return false;
    }
  });
}

export function sameCode(a: string, b: string): boolean {
  return codeOnly(a) === codeOnly(b);
}

/**
 * The source without comments, and without whitespace except one space where two words would
 * otherwise run together. String and template literals are kept as written: their spaces are code.
 */
function codeOnly(source: string): string {
  let out = "";
  let pendingSpace = false;
  const word = (ch: string | undefined) => ch !== undefined && /[\w$]/.test(ch);
  for (let i = 0; i < source.length; ) {
    const ch = source[i]!;
    const next = source[i + 1];
    if (ch === "/" && next === "/") {
      i = indexOrEnd(source, "\n", i);
      pendingSpace = true;
    } else if (ch === "/" && next === "*") {
      i = indexOrEnd(source, "*/", i + 2) + 2;
      pendingSpace = true;
    } else if (/\s/.test(ch)) {
      i++;
      pendingSpace = true;
    } else {
      const end = ch === '"' || ch === "'" || ch === "`" ? quotedEnd(source, i) : i + 1;
      if (pendingSpace && word(out[out.length - 1]) && word(ch)) out += " ";
      pendingSpace = false;
      out += source.slice(i, end);
      i = end;
    }
  }
  return out;
}

function indexOrEnd(text: string, search: string, from: number): number {
  const at = text.indexOf(search, from);
  return at === -1 ? text.length : at;
}

/** The index just past a quoted literal that starts at `start`, escapes included. */
function quotedEnd(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === quote) return i + 1;
  }
  return text.length;
}
