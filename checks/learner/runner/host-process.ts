import { type ChildProcess, execFileSync, fork } from "node:child_process";
import type { Env } from "../cli/env.ts";
import type { HostMessage, HostSettings, SupervisorMessage } from "./host-protocol.ts";

// One vitest host process, as the supervisor sees it: started in plain Node in a process group of
// its own, it sends messages, takes run requests, and ends once, with the last of its stderr
// (where Node says it ran out of memory). Killing it kills every test worker it started.

interface HostEvents {
  message(message: HostMessage): void;
  /** How it ended (a signal, or an exit code) and the tail of its stderr; never after kill(). */
  exit(how: string, stderr: string): void;
}

/** Enough of stderr for the last line and an out-of-memory report. */
const stderrTail = 4000;
/** How long the end of stderr may lag behind the exit. */
const stderrGraceMs = 200;

export class HostProcess {
  readonly #child: ChildProcess;
  readonly #events: HostEvents;
  #stderr = "";
  #exited = false;
  #killed = false;

  constructor(script: string, settings: HostSettings, env: Env, events: HostEvents) {
    this.#events = events;
    this.#child = fork(script, [JSON.stringify(settings)], {
      cwd: settings.root,
      // Node's own type insists on NODE_ENV, which Next.js's types declare required.
      env: env as NodeJS.ProcessEnv,
      // Not tsx's loader hooks, which the CLI may run under: that is the point of this process.
      // Worker threads inherit this heap limit; forked workers are given it by the host.
      execArgv: [`--max-old-space-size=${settings.heapLimitMb}`],
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      serialization: "advanced",
      // Its own process group, so that stopping it stops every test worker it started.
      detached: process.platform !== "win32",
    });
    this.#child.stderr?.on("data", (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-stderrTail);
    });
    this.#child.on("message", (message: HostMessage) => {
      if (!this.#killed) this.#events.message(message);
    });
    this.#child.on("error", (error) => this.#onExit(error.message));
    this.#child.on("exit", (code, signal) => this.#onExit(signal ?? `exit code ${code}`));
  }

  send(message: SupervisorMessage): void {
    if (!this.#killed && !this.#exited) this.#child.send(message);
  }

  /** Stops the process and everything it started; no event follows. */
  kill(): void {
    this.#killed = true;
    killTree(this.#child);
  }

  #onExit(how: string): void {
    if (this.#exited) return;
    this.#exited = true;
    const stderr = this.#child.stderr;
    const report = () => {
      if (!this.#killed) this.#events.exit(how, this.#stderr);
    };
    if (!stderr || stderr.readableEnded) {
      report();
      return;
    }
    const settle = () => {
      clearTimeout(wait);
      stderr.off("end", settle);
      report();
    };
    const wait = setTimeout(settle, stderrGraceMs);
    stderr.once("end", settle);
  }
}

/** Stops a process and everything it started: its process group, or its tree on Windows. */
function killTree(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    if (process.platform === "win32")
      execFileSync("taskkill", ["/pid", String(child.pid), "/T", "/F"], { stdio: "ignore" });
    else process.kill(-child.pid, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
}
