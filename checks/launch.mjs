// Starts the workbook CLI with plain Node: `npm run <command>` → node checks/launch.mjs <command>.
//
// The CLI is TypeScript. Loading it through tsx costs about 0.7 s on every command; instead it is
// bundled once with esbuild into checks/.build/ (git-ignored; built at npm install) and rebuilt
// here, before it runs, whenever a file under checks/ is newer than the bundle. Looking at the
// files' times costs a few milliseconds; a rebuild about a quarter of a second.
//
//   node checks/launch.mjs <command> [arguments]   run a command
//   node checks/launch.mjs --build                 (re)build the bundle and exit

import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const checksDir = path.dirname(fileURLToPath(import.meta.url));
const installRoot = path.dirname(checksDir);
const buildDir = path.join(checksDir, ".build");
const bundle = path.join(buildDir, "cli.mjs");

/** The newest modification time of the CLI's own sources (tests and benchmarks are not in the bundle). */
function newestSource(dir = checksDir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(file));
    else if (/\.(ts|mjs)$/.test(entry.name) && !entry.name.endsWith(".test.ts"))
      newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest;
}

async function build() {
  const { build: esbuild } = await import("esbuild");
  // Into a fresh folder renamed into place, so that a command started meanwhile never loads half a build.
  const staging = `${buildDir}.${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  await esbuild({
    entryPoints: { cli: path.join(checksDir, "cli.ts") },
    outdir: staging,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    outExtension: { ".js": ".mjs" },
    logLevel: "error",
  });
  writeFileSync(path.join(staging, "package.json"), '{ "type": "module" }\n');
  const old = `${buildDir}.old.${process.pid}`;
  // Two commands started at once may both rebuild: whichever build lands last is used, both are whole.
  try {
    renameSync(buildDir, old);
  } catch {
    // No build yet, or another command just moved it.
  }
  try {
    renameSync(staging, buildDir);
  } catch {
    rmSync(staging, { recursive: true, force: true });
  }
  rmSync(old, { recursive: true, force: true });
}

async function load() {
  return import(`${pathToFileURL(bundle).href}?${statSync(bundle).mtimeMs}`);
}

const args = process.argv.slice(2);
const stale = !existsSync(bundle) || statSync(bundle).mtimeMs < newestSource();
if (stale || args[0] === "--build") await build();
if (args[0] !== "--build") {
  let cli;
  try {
    cli = await load();
  } catch {
    // Another command rebuilt the bundle at this very moment: build it once more.
    await build();
    cli = await load();
  }
  await cli.runCommandLine(args, installRoot);
}
