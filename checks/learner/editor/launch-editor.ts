import { type SpawnOptions, spawn } from "node:child_process";
import type { Env } from "../cli/env.ts";
import type { EditorCommand } from "./editor-command.ts";

// Starting the learner's editor. A terminal editor runs in this very terminal (its input, its
// screen) and the promise resolves when it exits; the caller gives up the terminal first and
// takes it back after. A graphical editor starts on its own, detached: the promise resolves as
// soon as it has started, and the workbook never waits for it to close.

export type EditorOutcome =
  | { ok: true }
  | { ok: false; kind: "not-started"; reason: string }
  | { ok: false; kind: "exited"; code: number | null; signal: NodeJS.Signals | null };

/** On Windows, editors are often .cmd scripts, which only a shell can start: their arguments are quoted for cmd.exe. */
function platformSpawn(editor: EditorCommand): { command: string; args: string[]; options: SpawnOptions } {
  if (process.platform !== "win32") return { command: editor.command, args: editor.args, options: {} };
  const quote = (word: string) => (/[\s"&|<>^]/.test(word) ? `"${word.replace(/"/g, '""')}"` : word);
  return { command: quote(editor.command), args: editor.args.map(quote), options: { shell: true, windowsHide: true } };
}

export function runEditor(editor: EditorCommand, cwd: string, env: Env): Promise<EditorOutcome> {
  const { command, args, options } = platformSpawn(editor);
  const childEnv = env as NodeJS.ProcessEnv;
  return new Promise((resolve) => {
    const notStarted = (error: Error) => resolve({ ok: false, kind: "not-started", reason: error.message });
    if (editor.terminal) {
      const child = spawn(command, args, { ...options, cwd, env: childEnv, stdio: "inherit" });
      child.once("error", notStarted);
      child.once("exit", (code, signal) =>
        resolve(code === 0 ? { ok: true } : { ok: false, kind: "exited", code, signal }),
      );
      return;
    }
    const child = spawn(command, args, { ...options, cwd, env: childEnv, stdio: "ignore", detached: true });
    child.once("error", notStarted);
    child.once("spawn", () => {
      child.unref();
      resolve({ ok: true });
    });
  });
}
