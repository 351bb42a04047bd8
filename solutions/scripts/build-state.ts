import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

// Whether the Next build in a dist folder is older than the code it was built from. Shared by
// `npm run api` and the end-to-end test, so that neither rebuilds an app that has not changed.

/** What a build depends on, relative to the app folder. Tests are not part of the build. */
export const BUILD_SOURCES = [
  "app",
  "lib",
  "repositories",
  "services",
  "schemas",
  "generated",
  "next.config.ts",
  "proxy.ts",
];

const isTestFile = (name: string) => name.endsWith(".test.ts");

/** The newest modification time (ms) of `entry` or anything below it; 0 when it is missing. */
export function newestChange(entry: string): number {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  const children = readdirSync(entry)
    .filter((child) => !isTestFile(child))
    .map((child) => newestChange(path.join(entry, child)));
  return Math.max(stat.mtimeMs, ...children);
}

/** The folder `next build` writes to, as solutions/next.config.ts chooses it. */
export function distDirName(env: Record<string, string | undefined> = process.env): string {
  return env.NEXT_DIST_DIR ?? ".next";
}

/** True when `appDir/distDir` holds no finished build, or any source changed after it. */
export function needsBuild(appDir: string, distDir: string, sources = BUILD_SOURCES): boolean {
  const buildId = path.join(appDir, distDir, "BUILD_ID");
  if (!existsSync(buildId)) return true;
  const built = statSync(buildId).mtimeMs;
  return sources.some((source) => newestChange(path.join(appDir, source)) > built);
}
