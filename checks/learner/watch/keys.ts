import type { Lesson } from "../workbook/lessons.ts";

// Watch mode's keys, in one table: it drives both the footer a learner reads and what each key
// does, so the two can never disagree.

export type KeyAction = "next" | "previous" | "list" | "hint" | "edit" | "rerun" | "dismiss" | "quit";

interface KeyBinding {
  /** What the key does, as the footer says it. */
  label: string;
  /** The characters that trigger it (the first is the one the footer names). */
  keys: readonly string[];
  action: KeyAction;
  /** Only while a note from the trainer is on screen: the footer names the key then only. */
  onlyWithNote?: true;
}

const watchKeys: readonly KeyBinding[] = [
  { label: "next", keys: ["n"], action: "next" },
  { label: "previous", keys: ["p"], action: "previous" },
  { label: "lessons", keys: ["l"], action: "list" },
  { label: "hint", keys: ["h"], action: "hint" },
  // The learner's editor, at the first problem.
  { label: "edit", keys: ["e"], action: "edit" },
  { label: "re-run", keys: ["r"], action: "rerun" },
  { label: "dismiss note", keys: ["d"], action: "dismiss", onlyWithNote: true },
  // Ctrl-C and Ctrl-D arrive as characters in raw mode.
  { label: "quit", keys: ["q", "\u0003", "\u0004"], action: "quit" },
];

export function actionOf(key: string): KeyAction | undefined {
  return watchKeys.find((binding) => binding.keys.includes(key))?.action;
}

/** "Watching lessons/lesson-1-adder/ · n next · p previous · … · q quit"; `d dismiss note` while a note shows. */
export function footerText(lesson: Lesson, { note = false } = {}): string {
  const shown = watchKeys.filter((binding) => note || !binding.onlyWithNote);
  return [`Watching ${lesson.dir}/`, ...shown.map((binding) => `${binding.keys[0]} ${binding.label}`)].join(" · ");
}
