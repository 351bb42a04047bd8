import type { ChalkInstance } from "chalk";
import type { PassNote } from "../check/passes-but.ts";
import { plural, visible } from "./text.ts";

// "Passes, but…": the notes on a passing lesson, under its verdict. One or two lines at most, so
// that the success stays the news; `npm run check -- --json` carries every note.

const shown = 2;

export function passesButLines(notes: readonly PassNote[], c: ChalkInstance): string[] {
  if (notes.length === 0) return [];
  const lines = [c.yellow.bold("Passes, but…")];
  for (const note of notes.slice(0, shown)) lines.push(`  ${c.cyan(note.location)} ${visible(note.message)}`);
  if (notes.length > shown) lines.push(c.dim(`  … and ${plural(notes.length - shown, "more note")} like these`));
  return lines;
}
