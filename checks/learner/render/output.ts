import { Chalk, type ChalkInstance } from "chalk";
import type { Env } from "../cli/env.ts";
import { wrapLine } from "./text.ts";

// Everything the CLI prints goes through one Output so color follows one rule: off when stdout is
// not a terminal or NO_COLOR is set, on when FORCE_COLOR says so (FORCE_COLOR=0 turns it off).
// On a terminal, lines wider than it are wrapped at word boundaries, never mid-word.

export interface WritableLike {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Output {
  c: ChalkInstance;
  /** Whether stdout is an interactive terminal. */
  isTTY: boolean;
  /** The terminal's width (at least 40), for text wrapped at word boundaries; 100 when unknown. */
  columns: number;
  line(text?: string): void;
  /** Text as is, with no newline (terminal control sequences). */
  write(text: string): void;
  /** One line on stderr. */
  error(text: string): void;
  warn(text: string): void;
}

export const symbols = { pass: "✓", fail: "✗" } as const;

type ColorLevel = 0 | 1 | 2 | 3;

export function colorLevel(env: Env, isTTY: boolean): ColorLevel {
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === "0" || force === "false") return 0;
    const level = Number(force);
    return level >= 1 && level <= 3 ? (level as ColorLevel) : 1;
  }
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return 0;
  if (!isTTY || env.TERM === "dumb") return 0;
  return 1;
}

export function createOutput(stdout: WritableLike, stderr: WritableLike, env: Env): Output {
  const isTTY = stdout.isTTY === true;
  const c = new Chalk({ level: colorLevel(env, isTTY) });
  return {
    c,
    isTTY,
    // A terminal that does not know its size says 0.
    get columns() {
      return Math.max(40, stdout.columns || 100);
    },
    line(text = "") {
      const width = Math.max(40, stdout.columns || 0);
      const lines = isTTY && stdout.columns ? text.split("\n").flatMap((line) => wrapLine(line, width)) : [text];
      stdout.write(`${lines.join("\n")}\n`);
    },
    write: (text) => void stdout.write(text),
    error: (text) => void stderr.write(`${c.red(text)}\n`),
    warn: (text) => void stderr.write(`${c.yellow(`Warning: ${text}`)}\n`),
  };
}
