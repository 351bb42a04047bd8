import { spawn } from "node:child_process";
import path from "node:path";

// Runs the project's scripts the way a learner does from a terminal: a separate process, no TTY,
// and only the settings a test passes, never the ones the test runner set for itself.

export const PROJECT_ROOT = path.resolve(import.meta.dirname, "..", "..");
/** tsx's command-line entry, run with this Node: what `npx tsx` runs. */
export const TSX = path.join(PROJECT_ROOT, "node_modules", "tsx", "dist", "cli.mjs");

const RUNNER_SETTINGS =
  /^(NODE_ENV|DATABASE_URL|REDIS_.*|WORKBOOK_REQUIRE_SERVICES|AUTH_SECRET|LOG_LEVEL|RATE_LIMIT_.*|CACHE_.*|BODY_LIMIT_BYTES|TRUST_PROXY|NEXT_DIST_DIR|VITEST.*|npm_.*)$/;

export type ScriptResult = { code: number | null; stdout: string; stderr: string };
export type ScriptOptions = { cwd?: string; env?: Record<string, string> };

export function runCommand(
  command: string,
  args: string[],
  { cwd = PROJECT_ROOT, env = {} }: ScriptOptions = {},
): Promise<ScriptResult> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !RUNNER_SETTINGS.test(key)));
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      // A cast because Next's types declare NODE_ENV required; these scripts must not inherit it.
      env: { ...inherited, ...env } as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
      shell: process.platform === "win32" && command === "npm",
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** `npx tsx <script> …args`, without npx's start-up cost. */
export function runTsx(script: string, args: string[] = [], options?: ScriptOptions): Promise<ScriptResult> {
  return runCommand(process.execPath, [TSX, script, ...args], options);
}
