import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as pause } from "node:timers/promises";
import { needsBuild } from "../scripts/build-state";
import { freePort } from "../testing/ports";

// Builds and runs the real app (`next build` / `next start`) for the end-to-end test.

export const ROOT = path.resolve(import.meta.dirname, "..", "..");
const APP = "solutions";
const NEXT = path.join(ROOT, "node_modules", "next", "dist", "bin", "next");

// Settings the test set-up or a developer's shell may hold; the servers get only what a test
// passes them, so a run never depends on who started it.
const INHERITED_SETTINGS =
  /^(NODE_ENV|DATABASE_URL|REDIS_.*|AUTH_SECRET|LOG_LEVEL|RATE_LIMIT_.*|CACHE_.*|BODY_LIMIT_BYTES|TRUST_PROXY|NEXT_DIST_DIR|VITEST.*)$/;

/** This process's environment without the settings above, as production, plus `settings`. */
export function childEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !INHERITED_SETTINGS.test(key)));
  // A cast because Next's types declare NODE_ENV required, and `next build` checks this file too.
  return {
    ...env,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    // Next would otherwise read solutions/.env.local, the developer's own secret.
    __NEXT_PROCESSED_ENV: "true",
    ...settings,
  } as NodeJS.ProcessEnv;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes `appDir/distDir` for this process until the returned function is called, so that two
 * test runs never build into, or serve from, the same folder at once. A lock left by a process
 * that has died is taken over.
 */
export async function lockDistDir(distDir: string, timeoutMs: number): Promise<() => void> {
  const lock = path.join(ROOT, APP, `${distDir}.lock`);
  const owner = path.join(lock, "pid");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(owner, String(process.pid));
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    let pid = Number.NaN;
    try {
      pid = Number(readFileSync(owner, "utf8"));
    } catch {
      // The owner is between mkdir and writing its pid.
    }
    if (Number.isInteger(pid) && !isRunning(pid)) rmSync(lock, { recursive: true, force: true });
    else if (Date.now() > deadline) throw new Error(`${lock} is held by process ${pid}; waited ${timeoutMs} ms`);
    else await pause(250);
  }
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [NEXT, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`next ${args.join(" ")} exited ${code}:\n${output}`)),
    );
  });
}

/** Builds the app into `distDir` unless that build is newer than every source; says which. */
export async function buildIfStale(distDir: string): Promise<"built" | "reused"> {
  if (!needsBuild(path.join(ROOT, APP), distDir)) return "reused";
  await run(["build", APP], childEnv({ NEXT_DIST_DIR: distDir }));
  return "built";
}

export type RunningServer = {
  url: string;
  /** The `next start` process. */
  pid: number;
  /** Everything the server wrote so far. */
  stdout: () => string;
  stderr: () => string;
  stop: () => Promise<void>;
};

/** Resolves true once `child` has exited, or false after `timeoutMs`. */
export function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  try {
    // The server runs in its own process group, so anything it started stops with it.
    if (process.platform === "win32") child.kill(name);
    else process.kill(-child.pid!, name);
  } catch {
    // Already gone.
  }
}

/** `next start` on a free port with exactly `settings` as its configuration; resolves once it answers. */
export async function startServer(settings: Record<string, string>, readyTimeoutMs = 60_000): Promise<RunningServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [NEXT, "start", APP, "--port", String(port), "--hostname", "127.0.0.1"], {
    cwd: ROOT,
    env: childEnv(settings),
    stdio: ["ignore", "pipe", "pipe"],
    detached: process.platform !== "win32",
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk));

  const server: RunningServer = {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stdout: () => stdout,
    stderr: () => stderr,
    async stop() {
      signal(child, "SIGTERM");
      if (!(await exited(child, 5_000))) {
        signal(child, "SIGKILL");
        await exited(child, 5_000);
      }
    },
  };

  const deadline = Date.now() + readyTimeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      const response = await fetch(`${server.url}/api/health`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return server;
      lastError = new Error(`GET /api/health answered ${response.status}`);
    } catch (error) {
      lastError = error;
    }
    await pause(200);
  }
  await server.stop();
  throw new Error(
    `next start never answered GET /api/health (${
      child.exitCode === null ? `gave up after ${readyTimeoutMs} ms` : `exited ${child.exitCode}`
    }; last error: ${String(lastError)})\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
  );
}
