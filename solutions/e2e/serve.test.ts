import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TSX } from "@/testing/run-script";
import { applyMigrations } from "../../prisma/migrate";
import { freePort, portIsFree } from "@/testing/ports";
import { buildIfStale, childEnv, exited, lockDistDir, ROOT } from "./server";

// `npm run api` is stopped the way a person stops it: Ctrl-C, `kill %1` after `npm run api &`
// (as README's "Scale out" does), `kill` with npm's pid, or a process manager's SIGTERM. Whether
// the signal reaches npm or the script, `next start` must stop with it, or it is left serving on
// the port with nobody to stop it.

const DIST_DIR = ".next-e2e";
const dir = mkdtempSync(path.join(tmpdir(), "serve-test-"));
const file = path.join(dir, "serve.db");
let release: () => void;

beforeAll(async () => {
  applyMigrations(file);
  release = await lockDistDir(DIST_DIR, 200_000);
  await buildIfStale(DIST_DIR);
});
afterAll(() => {
  release?.();
  rmSync(dir, { recursive: true, force: true });
});

const answersHealth = async (port: number) => {
  try {
    return (await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
};

// How people stop it: Ctrl-C in its terminal signals every process of the job (npm, the shell npm
// runs the script in, the script, next); so does closing the terminal (SIGHUP). A process manager,
// or `kill` with npm's pid, signals npm alone, which passes SIGINT and SIGTERM to that shell only.
// The script is no longer `exec`ed (cmd.exe, npm's shell on Windows, has no exec), and sh ends on
// SIGTERM without passing it on: the script stops next when its shell goes (signals.ts). SIGINT
// to npm alone reaches no script under sh, which waits for the script to end before it acts on
// SIGINT; that is why Ctrl-C is sent here as a terminal sends it. tsx, run directly, passes
// signals on to the script it runs in a child of its own.
const starts = {
  "the script": [process.execPath, TSX, "solutions/scripts/serve.ts"],
  "npm run api": ["npm", "run", "-s", "api"],
  "npm run api:dev": ["npm", "run", "-s", "api:dev"],
} as const;

describe("npm run api and npm run api:dev", () => {
  it.each([
    ["SIGTERM", "the script", "alone"],
    ["SIGINT", "the script", "alone"],
    ["SIGTERM", "npm run api", "alone"],
    ["SIGINT", "npm run api", "with its whole job, as Ctrl-C does"],
    ["SIGHUP", "npm run api", "with its whole job, as closing the terminal does"],
    ["SIGTERM", "npm run api:dev", "alone"],
    ["SIGINT", "npm run api:dev", "with its whole job, as Ctrl-C does"],
  ] as const)("stops next with it on %s to %s %s", async (signal, target, how) => {
    const port = await freePort();
    const dev = target === "npm run api:dev";
    const settings = {
      PORT: String(port),
      // next dev builds as it goes, into a folder of its own; next start serves the tests' build.
      NEXT_DIST_DIR: dev ? ".next-dev-e2e" : DIST_DIR,
      ...(dev && { NODE_ENV: "development" }),
      DATABASE_URL: `file:${file}`,
      AUTH_SECRET: randomBytes(32).toString("base64url"),
      LOG_LEVEL: "error",
    };
    // In a process group of its own, so that whatever is left can be stopped after the test.
    const [command, ...args] = starts[target];
    const script = spawn(command, args, {
      cwd: ROOT,
      env: childEnv(settings),
      stdio: "ignore",
      detached: true,
    });
    try {
      const deadline = Date.now() + 120_000;
      while (!(await answersHealth(port)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      expect(await answersHealth(port), `${target} never answered on port ${port}`).toBe(true);

      if (how === "alone") script.kill(signal);
      else process.kill(-script.pid!, signal);
      expect(await exited(script, 15_000), `${target} did not stop on ${signal}`).toBe(true);
      // Nothing is left serving on the port: at once when the script was signalled, a moment
      // later when its shell went away under npm.
      await expect.poll(() => answersHealth(port), { timeout: 10_000 }).toBe(false);
      await expect.poll(() => portIsFree(port), { timeout: 10_000 }).toBe(true);
    } finally {
      try {
        process.kill(-script.pid!, "SIGKILL");
      } catch {
        // Already gone, as it should be.
      }
    }
  });
});
