import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

// `npm run api`: builds the app when the sources are newer than the last build, then serves it
// with `next start` on PORT (default 3000).

const APP = "solutions";
const BUILD_ID = path.join(APP, ".next", "BUILD_ID");
const SOURCES = ["app", "lib", "repositories", "services", "schemas", "generated", "next.config.ts"];
const next = path.join("node_modules", "next", "dist", "bin", "next");
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };

function newestChange(entry: string): number {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(entry).map((child) => newestChange(path.join(entry, child))));
}

function needsBuild(): boolean {
  if (!existsSync(BUILD_ID)) return true;
  const built = statSync(BUILD_ID).mtimeMs;
  return SOURCES.some((source) => newestChange(path.join(APP, source)) > built);
}

function run(args: string[]): void {
  const result = spawnSync(process.execPath, [next, ...args], { stdio: "inherit", env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (needsBuild()) run(["build", APP]);
run(["start", APP, "--port", process.env.PORT ?? "3000"]);
