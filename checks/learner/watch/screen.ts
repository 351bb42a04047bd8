import type { ChalkInstance } from "chalk";
import type { CheckResult } from "../check/check-lesson.ts";
import { renderLessonHeader, renderTests } from "../render/check-screen.ts";
import type { Output } from "../render/output.ts";
import { type Lesson, lessonLabel } from "../workbook/lessons.ts";
import { trainerNoteLines } from "../render/trainer-notes.ts";
import type { LearnerNote } from "../room/protocol.ts";
import { footerText } from "./keys.ts";

// What watch mode shows, as data, and the one render() that draws it. On a terminal every change
// redraws the whole screen (the scrollback is left alone); into a pipe only what is new is
// appended, so a tool reading the output sees each verdict once.

export interface Screen {
  lesson: Lesson;
  /** Grows by one each time the lesson changes or a new run's tests arrive: a new screen. */
  generation: number;
  /** Lines above the lesson: why it switched, a change made by another terminal. */
  notices: string[];
  /** The tests of the latest run, shown as soon as they are in. */
  tests?: Pick<CheckResult, "tests" | "fileErrors">;
  /** The rest of the verdict, once the type-check is in too. */
  verdict: string[];
  /** What a key asked for (a hint, the list, "no next lesson"), or a check that could not run. */
  panel: string[];
  /** The lesson list is open: its last line, the prompt, stands in for the footer. */
  picking: boolean;
  /** The last line: "⟳ re-running…" while a save waits for its verdict, or the success banner. */
  last?: string;
  /** The trainer's notes not dismissed yet, above the footer, whatever else changes. */
  notes?: readonly LearnerNote[];
}

export function emptyScreen(lesson: Lesson, generation: number, notices: string[] = []): Screen {
  return { lesson, generation, notices, verdict: [], panel: [], picking: false };
}

export function frame(screen: Screen, c: ChalkInstance): string[] {
  const lines = [...screen.notices];
  if (screen.tests) lines.push(...renderTests(screen.lesson, screen.tests, c));
  else lines.push(...renderLessonHeader(screen.lesson, c), c.dim(`Checking ${lessonLabel(screen.lesson)}…`));
  lines.push(...screen.verdict);
  if (screen.panel.length > 0) lines.push("", ...screen.panel);
  const notes = screen.notes ?? [];
  if (notes.length > 0) lines.push("", ...trainerNoteLines(notes, c));
  if (!screen.picking) lines.push(c.dim(footerText(screen.lesson, { note: notes.length > 0 })));
  if (screen.last) lines.push(screen.last);
  return lines;
}

/** Draws frames: the whole screen on a terminal, only the new lines into a pipe. */
export class ScreenWriter {
  #shown: string[] = [];
  #generation = -1;

  constructor(private readonly out: Output) {}

  /** Forgets what is on screen (an editor drew over it), so the next render draws it all again. */
  forget(): void {
    this.#shown = [];
    this.#generation = -1;
  }

  render(screen: Screen): void {
    const lines = frame(screen, this.out.c);
    const unchanged = screen.generation === this.#generation && lines.join("\n") === this.#shown.join("\n");
    if (unchanged) return;
    if (this.out.isTTY) {
      this.out.write("\u001b[H\u001b[2J");
      for (const line of lines) this.out.line(line);
    } else {
      const same = screen.generation === this.#generation ? commonPrefix(this.#shown, lines) : 0;
      for (const line of lines.slice(same)) this.out.line(line);
    }
    this.#shown = lines;
    this.#generation = screen.generation;
  }
}

function commonPrefix(a: string[], b: string[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
