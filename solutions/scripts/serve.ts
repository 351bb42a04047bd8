import { spawnSync } from "node:child_process";
import path from "node:path";
import { distDirName, needsBuild } from "./build-state";

// `npm run api`: builds the app when the sources are newer than the last build, then serves it
// with `next start` on PORT (default 3000).

const APP = "solutions";
const next = path.join("node_modules", "next", "dist", "bin", "next");
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };

function run(args: string[]): void {
  const result = spawnSync(process.execPath, [next, ...args], { stdio: "inherit", env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (needsBuild(APP, distDirName())) run(["build", APP]);
run(["start", APP, "--port", process.env.PORT ?? "3000"]);
