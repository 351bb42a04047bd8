import path from "node:path";
import { missingExecutables } from "../check/requires.ts";
import type { Env } from "../cli/env.ts";
import type { SourceLocation } from "../runner/run-tests.ts";

// Which editor opens a learner's file at a line, and how: $VISUAL, else $EDITOR (as git reads
// them), else VS Code when the workbook runs in its integrated terminal. Each editor spells "at
// this line" its own way (vim +12 file, code -g file:12:5, subl file:12:5), and some run inside
// the terminal, which watch mode must then hand over until they exit. No editor at all is not
// an error: the learner is told the file and line to open themselves.

export interface EditorCommand {
  /** The program to start, as the learner named it. */
  command: string;
  args: string[];
  /** How a learner knows it ("vim", "code"), for what they read. */
  name: string;
  /** It draws in the terminal (vim, nano, emacs -nw): it needs the terminal to itself until it exits. */
  terminal: boolean;
  /** Where the choice came from. */
  from: "VISUAL" | "EDITOR" | "VS Code";
}

type Spelling = (file: string, line: number, column: number) => string[];

const plusLine: Spelling = (file, line) => [`+${line}`, file];
const gotoFlag: Spelling = (file, line, column) => ["-g", `${file}:${line}:${column}`];
const colonSuffix: Spelling = (file, line, column) => [`${file}:${line}:${column}`];
const lineFlag: Spelling = (file, line) => ["--line", String(line), file];
const shortLineFlag: Spelling = (file, line) => ["-l", String(line), file];
const notepadFlag: Spelling = (file, line) => [`-n${line}`, file];
const fileOnly: Spelling = (file) => [file];

/** Known editors by program name: how each is told the line, and whether it runs in the terminal. */
const knownEditors: [names: string[], spelling: Spelling, terminal: boolean][] = [
  [["vi", "vim", "nvim", "nano", "pico", "micro", "kak", "ne", "joe", "mg", "jed", "emacs"], plusLine, true],
  [["hx", "helix"], colonSuffix, true],
  [["emacsclient", "gvim", "mvim", "gedit"], plusLine, false],
  [["code", "code-insiders", "codium", "vscodium", "cursor", "windsurf"], gotoFlag, false],
  [["subl", "sublime_text", "zed", "atom", "lapce"], colonSuffix, false],
  [
    ["idea", "webstorm", "phpstorm", "pycharm", "goland", "rubymine", "clion", "rider", "studio", "kate"],
    lineFlag,
    false,
  ],
  [["mate"], shortLineFlag, false],
  [["notepad++"], notepadFlag, false],
];

/** $EDITOR's words: `code --wait` → ["code", "--wait"]; a quoted path with spaces stays one word. */
export function splitCommand(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/** The program's name without its folder or a Windows extension: "C:\…\Code.exe" → "code". */
export function programName(command: string): string {
  return (command.split(/[\\/]/).pop() ?? command).toLowerCase().replace(/\.(exe|cmd|bat)$/, "");
}

const noWindowFlags = new Set(["-nw", "-t", "-tty", "--tty", "--no-window-system"]);

/**
 * Whether the editor draws in the terminal. An editor the table does not know is taken to: handing
 * it the terminal and waiting is safe for either kind, where drawing over a terminal editor is not.
 */
function runsInTerminal(name: string, args: string[], env: Env, platform: NodeJS.Platform): boolean {
  if (args.some((arg) => noWindowFlags.has(arg))) return true;
  if (name === "emacs") return platform !== "linux" || (!env.DISPLAY && !env.WAYLAND_DISPLAY);
  const known = knownEditors.find(([names]) => names.includes(name));
  return known ? known[2] : true;
}

/** The command that opens `file` (absolute) at a line in the editor named by `words`. */
export function editorCommand(
  words: string[],
  from: EditorCommand["from"],
  at: { file: string; line: number; column: number },
  options: { env?: Env; platform?: NodeJS.Platform } = {},
): EditorCommand {
  const [command = "", ...given] = words;
  const name = programName(command);
  const spelling = knownEditors.find(([names]) => names.includes(name))?.[1] ?? fileOnly;
  const terminal = runsInTerminal(name, given, options.env ?? {}, options.platform ?? process.platform);
  const args = [...given, ...spelling(at.file, Math.max(1, at.line), Math.max(1, at.column))];
  return { command, args, name, terminal, from };
}

const vsCodePrograms = ["code", "code-insiders", "cursor", "codium"];

/**
 * The editor to open a location of the workbook at `root` in, or undefined when there is none:
 * $VISUAL, else $EDITOR, else VS Code's own command when this runs in its integrated terminal.
 */
export function chooseEditor(
  root: string,
  location: SourceLocation,
  env: Env,
  platform: NodeJS.Platform = process.platform,
): EditorCommand | undefined {
  const at = { ...location, file: path.resolve(root, location.file) };
  for (const from of ["VISUAL", "EDITOR"] as const) {
    const words = splitCommand(env[from] ?? "");
    if (words.length > 0) return editorCommand(words, from, at, { env, platform });
  }
  if (env.TERM_PROGRAM !== "vscode") return undefined;
  const program = vsCodePrograms.find((name) => missingExecutables([name], env).length === 0);
  return program ? editorCommand([program], "VS Code", at, { env, platform }) : undefined;
}
