import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { workbookDir } from "../workbook/workbook-dir.ts";
import { ResidentTypeChecker } from "./resident-typecheck.ts";

// Type-checks just the files a lesson touches with TypeScript 7 (the native compiler: about a
// third of a second, where tsc 5 takes over one and a half), through a throwaway tsconfig that
// extends the project's, so a learner sees exactly the errors their editor shows.

export interface TypeDiagnostic {
  /** Relative to the project root with forward slashes; "" for an error about no file in particular. */
  file: string;
  line: number;
  column: number;
  code: string;
  message: string;
}

const diagnosticLine = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/;
const globalLine = /^error (TS\d+): (.*)$/;

/** Parses `tsc --pretty false` output; continuation lines (indented) belong to the diagnostic above. */
export function parseTscOutput(output: string, cwd = "", root = cwd): TypeDiagnostic[] {
  const diagnostics: TypeDiagnostic[] = [];
  for (const raw of output.split(/\r?\n/)) {
    if (raw.trim() === "") continue;
    const located = diagnosticLine.exec(raw);
    const global = located ? null : globalLine.exec(raw);
    if (located) {
      const [, file, line, column, code, message] = located;
      diagnostics.push({
        file: relativeTo(root, path.resolve(cwd, file!)),
        line: Number(line),
        column: Number(column),
        code: code!,
        message: message!,
      });
    } else if (global) {
      diagnostics.push({ file: "", line: 0, column: 0, code: global[1]!, message: global[2]! });
    } else if (/^\s/.test(raw) && diagnostics.length > 0) {
      diagnostics[diagnostics.length - 1]!.message += `\n${raw.trimEnd()}`;
    }
  }
  return diagnostics;
}

function relativeTo(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join("/");
}

/** The native compiler binary when its platform package is installed; else the Node launcher. */
function tscCommand(root: string): { command: string; args: string[] } {
  const exe = path.join(
    root,
    "node_modules",
    "@typescript",
    `typescript-${process.platform}-${process.arch}`,
    "lib",
    process.platform === "win32" ? "tsc.exe" : "tsc",
  );
  if (existsSync(exe)) return { command: exe, args: [] };
  // Starting the launcher costs one more Node start-up, so it is only the fallback.
  return { command: process.execPath, args: [path.join(root, "node_modules", "typescript7", "bin", "tsc")] };
}

interface TypecheckOptions {
  /** The folder whose paths tsc reports relative to, and that diagnostics are made relative to. */
  root: string;
  /** Files to check, relative to the root. */
  files: string[];
  /** Where the throwaway tsconfig goes, relative to the root. */
  configDir?: string;
  /** Maps a checked file back to the path to report, e.g. a pristine copy to the stub it stands for. */
  rename?: (file: string) => string;
  /**
   * Names a check that will be repeated (a lesson id): its tsconfig and tsbuildinfo stay in
   * configDir. The first such check of a lesson runs tsc in build mode, which does next to
   * nothing when no file it read has changed since the last session; the later ones go to a
   * type-checker kept running (resident-typecheck.ts), which reads the lesson once, meanwhile,
   * and then re-checks only the files a learner writes and whatever changed. Should that
   * type-checker fail, tsc runs in build mode again.
   */
  incrementalKey?: string;
  /** The type-checker kept running for incremental checks, in place of the root's (tests). */
  resident?: ResidentTypeChecker;
  /**
   * The kept type-checker reads a lesson it does not know yet only once this settles: a check
   * passes its tests' run, since reading a lesson takes every core for a moment, and the tests
   * of a first verdict took a fifth of a second longer beside it.
   */
  readAfter?: Promise<unknown>;
}

/** Type-checkers kept up for repeated checks, one per workbook; dropped when one fails. */
const residents = new Map<string, ResidentTypeChecker>();
/** A type-checker nobody asked anything for this long is stopped, to give its memory back. */
const residentIdleMs = 10 * 60_000;
const idleTimers = new Map<string, NodeJS.Timeout>();
/** How long after a lesson's first check the kept type-checker starts reading it. */
const readAfterMs = 200;

/** Stops the type-checkers kept up for repeated checks (the next check starts one again). */
export function closeTypeCheckers(): void {
  for (const [root, checker] of residents) {
    checker.close();
    clearTimeout(idleTimers.get(root));
  }
  residents.clear();
  idleTimers.clear();
}

export async function typecheck({
  root,
  files,
  configDir = `${workbookDir}/tmp`,
  rename = (file) => file,
  incrementalKey,
  resident,
  readAfter,
}: TypecheckOptions): Promise<TypeDiagnostic[]> {
  const dir = path.join(root, configDir);
  mkdirSync(dir, { recursive: true });
  const name = incrementalKey
    ? `tsconfig.${incrementalKey}`
    : `tsconfig.${process.pid}.${Math.random().toString(36).slice(2)}`;
  const config = path.join(dir, `${name}.json`);
  const extendsPath = path.relative(dir, path.join(root, "tsconfig.json")).split(path.sep).join("/");
  const compilerOptions = incrementalKey
    ? { noEmit: true, incremental: true, tsBuildInfoFile: `./${name}.tsbuildinfo` }
    : { noEmit: true, incremental: false };
  const content = JSON.stringify({
    extends: extendsPath.startsWith(".") ? extendsPath : `./${extendsPath}`,
    compilerOptions,
    files: files.map((file) => path.join(root, file)),
    include: [],
  });
  // Build mode counts the tsconfig as an input: rewriting it unchanged would force a rebuild.
  if (!existsSync(config) || readFileSync(config, "utf8") !== content) writeFileSync(config, content);
  const kept = incrementalKey ? (resident ?? keptFor(root)) : undefined;
  if (kept?.knows(toPosix(config))) {
    const found = await residentCheck(root, config, files, kept);
    if (found) return found.map((d) => ({ ...d, file: d.file && rename(d.file) }));
  }
  try {
    const { command, args } = tscCommand(root);
    const mode = incrementalKey ? ["-b", config] : ["-p", config, "--noEmit"];
    const { code, output } = await run(command, [...args, ...mode, "--pretty", "false"], root);
    const diagnostics = parseTscOutput(output, root).map((d) => ({ ...d, file: d.file && rename(d.file) }));
    if (code !== 0 && diagnostics.length === 0) {
      throw new Error(`the type-checker failed: ${output.trim().split("\n")[0] || `exit code ${code}`}`);
    }
    return diagnostics;
  } finally {
    if (!incrementalKey) rmSync(config, { force: true });
    else if (kept && !kept.knows(toPosix(config))) readMeanwhile(root, kept, config, files, readAfter);
  }
}

/** The type-checker kept running for `root`, started when first asked for. */
function keptFor(root: string): ResidentTypeChecker {
  let checker = residents.get(root);
  if (!checker) residents.set(root, (checker = new ResidentTypeChecker(root)));
  return checker;
}

/**
 * Has the kept type-checker read a lesson it does not know yet, a moment after this check (and
 * `after`): in watch mode that is while the learner reads the verdict; a single check's process
 * has exited.
 */
function readMeanwhile(
  root: string,
  checker: ResidentTypeChecker,
  config: string,
  files: string[],
  after: Promise<unknown> = Promise.resolve(),
): void {
  const read = () => setTimeout(() => void residentCheck(root, config, files, checker), readAfterMs).unref();
  after.then(read, read);
}

/** The check on a kept type-checker; undefined when it fails (and it is dropped). */
async function residentCheck(
  root: string,
  config: string,
  files: string[],
  checker: ResidentTypeChecker,
): Promise<TypeDiagnostic[] | undefined> {
  clearTimeout(idleTimers.get(root));
  try {
    const found = await checker.check(
      toPosix(config),
      files.map((file) => toPosix(path.join(root, file))),
    );
    return found.map((d) => ({ ...d, file: d.file && relativeTo(root, d.file) }));
  } catch {
    checker.close();
    if (residents.get(root) === checker) residents.delete(root);
    return undefined;
  } finally {
    if (residents.get(root) === checker)
      idleTimers.set(root, setTimeout(() => dropResident(root), residentIdleMs).unref());
  }
}

function dropResident(root: string): void {
  residents.get(root)?.close();
  residents.delete(root);
  idleTimers.delete(root);
}

function toPosix(file: string): string {
  return file.split(path.sep).join("/");
}

function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output: Buffer.concat(chunks).toString() }));
  });
}
