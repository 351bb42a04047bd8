import type { ChildProcess } from "node:child_process";
import { constants } from "node:os";

// Stopping a long-running npm script (a server) the way people stop one, on every system. npm runs
// a script in a shell (sh on Linux and macOS, cmd.exe on Windows) and passes SIGINT and SIGTERM
// to that shell alone. cmd.exe knows no `exec`, so the script cannot replace the shell; and sh
// ends on SIGTERM without passing it on, leaving the script running with nobody to stop it. So a
// script passes every signal it gets on to the server it started, and stops as if told SIGTERM
// when the shell that started it goes away. (Ctrl-C in a terminal reaches every process of the
// job at once, shell, script and server alike; so does closing the terminal, with SIGHUP.)

export const stopSignals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Calls `stop` once the process that started this one has gone (its parent changes to another). */
export function whenParentGoes(stop: () => void, everyMs = 200): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop();
  }, everyMs);
  timer.unref();
}

/** Runs `child` as this process's stand-in: signals go on to it, and its exit is this process's exit. */
export function standInFor(child: ChildProcess): void {
  for (const signal of stopSignals) process.on(signal, () => child.kill(signal));
  whenParentGoes(() => child.kill("SIGTERM"));
  child.on("exit", (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0)));
}
