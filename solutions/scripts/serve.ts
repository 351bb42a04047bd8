import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { lockDistDir } from "../e2e/server";
import { distDirName, needsBuild } from "./build-state";
import { standInFor } from "./signals";

// `npm run api`: builds the app when the sources are newer than the last build, then serves it
// with `next start` on PORT (default 3000). Several instances may be started at once (one PORT
// each, as in the README's "Scale out"): the first builds while the others wait for its build,
// then every one serves it.

const APP = "solutions";
const next = path.join("node_modules", "next", "dist", "bin", "next");
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };

function run(args: string[]): void {
  const result = spawnSync(process.execPath, [next, ...args], { stdio: "inherit", env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const distDir = distDirName();
if (needsBuild(APP, distDir)) {
  const release = await lockDistDir(distDir, 600_000);
  try {
    // Another instance may have built it while this one waited.
    if (needsBuild(APP, distDir)) run(["build", APP]);
  } finally {
    release();
  }
}
// Served from a child that this process outlives: whatever stops `npm run api` (Ctrl-C, `kill %1`,
// a process manager's SIGTERM to npm) stops `next start` too, so stopping the instance never
// leaves a server behind holding its port (signals.ts says how, on every system).
standInFor(
  spawn(process.execPath, [next, "start", APP, "--port", process.env.PORT ?? "3000"], { stdio: "inherit", env }),
);
