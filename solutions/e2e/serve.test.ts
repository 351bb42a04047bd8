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

// npm passes SIGINT and SIGTERM on to the shell that runs the script, and a shell does not pass
// them on: the script is `exec`ed so that they reach it. tsx runs the script in a child of its
// own and passes signals on to it.
const starts = {
  "the script": [process.execPath, TSX, "solutions/scripts/serve.ts"],
  npm: ["npm", "run", "-s", "api"],
} as const;

describe("npm run api", () => {
  it.each([
    ["SIGTERM", "the script"],
    ["SIGINT", "the script"],
    ["SIGTERM", "npm"],
    ["SIGINT", "npm"],
  ] as const)("stops next start with it on %s to %s", async (signal, target) => {
    const port = await freePort();
    const settings = {
      PORT: String(port),
      NEXT_DIST_DIR: DIST_DIR,
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
      const deadline = Date.now() + 60_000;
      while (!(await answersHealth(port)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      expect(await answersHealth(port), `npm run api never answered on port ${port}`).toBe(true);

      script.kill(signal);
      expect(await exited(script, 15_000), `${target} did not stop on ${signal}`).toBe(true);
      // Nothing is left serving on the port.
      expect(await answersHealth(port)).toBe(false);
      expect(await portIsFree(port)).toBe(true);
    } finally {
      try {
        process.kill(-script.pid!, "SIGKILL");
      } catch {
        // Already gone, as it should be.
      }
    }
  });
});
