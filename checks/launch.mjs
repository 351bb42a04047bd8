// Starts the workbook CLI with plain Node: `npm run <command>` → node checks/launch.mjs <command>.
//
// The CLI is TypeScript. Loading it through tsx costs about 0.7 s on every command; instead it is
// bundled once with esbuild into checks/.build/ (git-ignored; built at npm install) and rebuilt
// here, before it runs, whenever one of the files the bundle was built from is newer than it
// (esbuild's metafile lists them in .build/inputs.json), so editing a benchmark or a catalogued
// mistake, which the CLI never imports, costs nothing. Looking at the files' times costs a few
// milliseconds; a rebuild about a quarter of a second.
//
//   node checks/launch.mjs <command> [arguments]   run a command
//   node checks/launch.mjs --build                 (re)build the bundle and exit

import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const checksDir = path.dirname(fileURLToPath(import.meta.url));
const installRoot = path.dirname(checksDir);
const buildDir = path.join(checksDir, ".build");
const bundle = path.join(buildDir, "cli.mjs");

const inputsFile = path.join(buildDir, "inputs.json");

/** Whether the bundle is missing, or older than one of the files it was built from (or one is gone). */
function isStale() {
  let built;
  let inputs;
  try {
    built = statSync(bundle).mtimeMs;
    inputs = JSON.parse(readFileSync(inputsFile, "utf8"));
  } catch {
    return true;
  }
  return inputs.some((file) => {
    try {
      return statSync(path.join(installRoot, file)).mtimeMs > built;
    } catch {
      return true;
    }
  });
}

async function build() {
  const { build: esbuild } = await import("esbuild");
  // Into a fresh folder renamed into place, so that a command started meanwhile never loads half a build.
  const staging = `${buildDir}.${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const { metafile } = await esbuild({
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
    metafile: true,
    absWorkingDir: installRoot,
  });
  writeFileSync(path.join(staging, "package.json"), '{ "type": "module" }\n');
  // Paths from the install root, esbuild's working folder.
  const inputs = Object.keys(metafile.inputs);
  writeFileSync(path.join(staging, "inputs.json"), `${JSON.stringify(inputs)}\n`);
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
const stale = isStale();
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
