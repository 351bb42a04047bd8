import { existsSync, realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type CommandSpec, type ParsedArgs, parseArgs } from "./learner/cli/args.ts";
import { type Context, type InputLike, learnerHostOptions, terminalAsk } from "./learner/cli/context.ts";
import { type Output, type WritableLike, createOutput } from "./learner/render/output.ts";
import { type TestHost, startTestHost } from "./learner/runner/run-tests.ts";
import { UserError } from "./learner/cli/user-error.ts";
import type { StatusListener } from "./learner/workbook/workbook.ts";
import type { Env } from "./learner/cli/env.ts";
import type { RoomReporter } from "./learner/room/client.ts";
import { roomFile } from "./learner/room/settings.ts";

// The workbook CLI: `npm run <command>` → node checks/launch.mjs <command> [arguments], which runs
// this file bundled. Each command lives in checks/learner/commands/ (verify and mistake, the
// maintainers' commands, in checks/authoring/) and is loaded only when used, so `npm run hint`
// never pays for vitest.

type Command = CommandSpec & { run: () => Promise<(ctx: Context, args: ParsedArgs) => Promise<number>> };

// The commands whose verdicts a trainer's room hears (after `--room <join link> --name "Ana"` once,
// or WORKBOOK_ROOM and WORKBOOK_NAME; .workbook/room.json remembers the room for later commands).
const roomOptions = ["room", "name"];
const reportsToRoom = new Set(["check", "watch", "hint", "reset", "solve"]);

const commands: Command[] = [
  {
    name: "check",
    script: "check",
    usage: 'npm run check [lesson] [--json] [--room <join link> --name "Ana"]',
    flags: ["json"],
    options: roomOptions,
    maxPositionals: 1,
    run: async () => (await import("./learner/commands/check.ts")).check,
  },
  {
    name: "watch",
    script: "start",
    usage: 'npm start [lesson] [-- --poll] [-- --room <join link> --name "Ana"]',
    flags: ["poll"],
    options: roomOptions,
    maxPositionals: 1,
    run: async () => (await import("./learner/watch/watch.ts")).watch,
  },
  {
    name: "open",
    script: "open",
    usage: "npm run open [lesson]",
    flags: [],
    options: [],
    maxPositionals: 1,
    run: async () => (await import("./learner/commands/open.ts")).open,
  },
  {
    name: "hint",
    script: "hint",
    usage: "npm run hint [lesson]",
    flags: [],
    options: roomOptions,
    maxPositionals: 1,
    run: async () => (await import("./learner/commands/hint.ts")).hint,
  },
  {
    name: "progress",
    script: "progress",
    usage: "npm run progress",
    flags: [],
    options: [],
    maxPositionals: 0,
    run: async () => (await import("./learner/commands/progress.ts")).progress,
  },
  {
    name: "diff",
    script: "diff",
    usage: "npm run diff [lesson]",
    flags: [],
    options: [],
    maxPositionals: 1,
    run: async () => (await import("./learner/commands/diff.ts")).diff,
  },
  {
    name: "reset",
    script: "reset",
    usage: "npm run reset [lesson] [--yes]",
    flags: ["yes"],
    options: roomOptions,
    maxPositionals: 1,
    run: async () => (await import("./learner/commands/reset.ts")).reset,
  },
  {
    name: "solve",
    script: "solve",
    usage: "npm run solve [lesson] [--through lesson-N] [--yes]",
    flags: ["yes"],
    options: ["through", ...roomOptions],
    maxPositionals: 1,
    run: async () => (await import("./learner/commands/solve.ts")).solve,
  },
  {
    name: "verify",
    script: "verify",
    usage: "npm run verify [--lesson lesson-N] [--json] [--record]",
    flags: ["json", "record"],
    options: ["lesson"],
    maxPositionals: 0,
    run: async () => (await import("./authoring/verify.ts")).verify,
  },
  {
    name: "mistake",
    script: "mistake",
    usage: "npm run mistake -- edit|save <lesson> <name> [--stub <file>] [--variant-of <mistake>]",
    flags: [],
    options: ["stub", "variant-of"],
    maxPositionals: 3,
    run: async () => (await import("./authoring/mistake-drafts.ts")).mistake,
  },
  {
    name: "report",
    script: "report",
    usage: 'npm run report [--json] [--name "Ana"] [--out file] [--fresh]',
    flags: ["fresh", "json"],
    options: ["out", "name"],
    maxPositionals: 0,
    run: async () => (await import("./learner/commands/report.ts")).report,
  },
];

const aliases: Record<string, string> = { start: "watch" };

export interface Io {
  root: string;
  /** The folder the command was run from: inside a lesson's folder, that lesson is the one meant. */
  cwd?: string;
  stdout: WritableLike;
  stderr: WritableLike;
  stdin: InputLike;
  env: Env;
  now?: () => Date;
  ask?: (question: string) => Promise<boolean>;
  onStatus?: StatusListener;
  /** A test host started before the command loaded, for the command to take (see openTestHost). */
  earlyTestHost?: TestHost;
}

/** Runs one command and returns its exit code; every error becomes one line on stderr. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const out = createOutput(io.stdout, io.stderr, io.env);
  try {
    const [name, ...rest] = argv;
    const command = commands.find((c) => c.name === (aliases[name ?? ""] ?? name));
    if (!command) {
      throw new UserError(`${name ? `Unknown command "${name}"` : "No command given"}. Commands: ${commandNames()}.`);
    }
    const args = parseArgs(command, rest, io.env);
    if (args.help) {
      out.line(`Usage: ${command.usage}`);
      return 0;
    }
    const root = realpathSync(io.root);
    const room = io.onStatus || !reportsToRoom.has(command.name) ? undefined : await joinRoom(root, args, io.env, out);
    const onStatus = io.onStatus ?? room;
    let early = io.earlyTestHost;
    const ctx: Context = {
      root,
      out,
      env: io.env,
      stdin: io.stdin,
      now: io.now ?? (() => new Date()),
      ask: io.ask ?? terminalAsk(io.stdin as NodeJS.ReadableStream, io.stdout as NodeJS.WritableStream),
      ...(onStatus && { onStatus }),
      ...(room && { room: room.notes }),
      ...lessonFolderAt(root, io.cwd),
      takeEarlyTestHost: () => {
        const host = early;
        early = undefined;
        return host;
      },
    };
    try {
      return await (await command.run())(ctx, args);
    } finally {
      // The last verdict's status, sent before the process exits; at most the room's one timeout.
      await room?.flush();
    }
  } catch (error) {
    // The reader of the output went away (`npm run check | head -1`): there is nobody to tell.
    if ((error as NodeJS.ErrnoException).code === "EPIPE") return 0;
    if (error instanceof UserError) {
      out.error(error.message);
      return error.exitCode;
    }
    out.error(failedLine(error instanceof Error ? error.message.split("\n")[0]! : String(error)));
    if (io.env.WORKBOOK_DEBUG) io.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    return 70;
  }
}

/** The room this learner reports to, if any: joined (or renamed) now, or remembered from before. */
async function joinRoom(root: string, args: ParsedArgs, env: Env, out: Output): Promise<RoomReporter | undefined> {
  const room = args.options.get("room");
  const name = args.options.get("name");
  // Outside a room nothing of the room's is even loaded, so the commands stay quick.
  if (room === undefined && name === undefined && !env.WORKBOOK_ROOM && !existsSync(path.join(root, roomFile)))
    return undefined;
  const { connectRoom } = await import("./learner/room/connect.ts");
  return connectRoom({ root, room, name, env, say: (line) => out.line(line), warn: (line) => out.warn(line) });
}

const commandNames = () => commands.map((c) => c.name).join(", ");

function failedLine(reason: string): string {
  return `The workbook CLI failed: ${reason}. Run with WORKBOOK_DEBUG=1 for details.`;
}

/** The lesson folder `cwd` is in, when it is inside lessons/lesson-N-…/ of this workbook. */
function lessonFolderAt(root: string, cwd: string | undefined): { lessonHere?: string } {
  if (!cwd) return {};
  let real: string;
  try {
    real = realpathSync(cwd);
  } catch {
    return {};
  }
  const [top, folder] = path.relative(root, real).split(path.sep);
  return top === "lessons" && folder && /^lesson-\d+/.test(folder) ? { lessonHere: folder } : {};
}

/** The project root: the nearest folder up from `start` with a package.json and a lessons/ folder. */
export function findRoot(start: string, fallback: string): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "lessons"))) return dir;
    if (path.dirname(dir) === dir) return fallback;
  }
}

/**
 * The command line: runs one command on the workbook around the current folder (or WORKBOOK_ROOT,
 * or else `installRoot`, where the CLI lives) and exits with its code.
 */
export async function runCommandLine(argv: string[], installRoot: string): Promise<void> {
  const fail = (error: unknown) => {
    if ((error as NodeJS.ErrnoException | undefined)?.code === "EPIPE") process.exit(0);
    process.stderr.write(`${failedLine(error instanceof Error ? error.message : String(error))}\n`);
    if (process.env.WORKBOOK_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exit(70);
  };
  process.on("uncaughtException", fail);
  process.on("unhandledRejection", fail);
  const root = realpathSync(process.env.WORKBOOK_ROOT ?? findRoot(process.cwd(), installRoot));
  const command = aliases[argv[0] ?? ""] ?? argv[0];
  // vitest's start-up then overlaps the CLI's own.
  const early =
    !argv.includes("--help") && (command === "check" || command === "watch")
      ? startTestHost(root, "stub", learnerHostOptions(root, process.env))
      : undefined;
  // A reader that stops early (`npm run check | head -1`) closes the pipe: nothing more to say.
  for (const stream of [process.stdout, process.stderr])
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(0);
    });
  const code = await main(argv, {
    root,
    // npm runs scripts from the project's folder and says in INIT_CWD where it was started.
    cwd: process.env.INIT_CWD ?? process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    ...(early && { earlyTestHost: early }),
  });
  // Exit once the output is flushed (pipes are asynchronous on macOS), without waiting for a test
  // host or a file watcher left open.
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

// Run directly (tsx checks/cli.ts <command>), as during development; npm scripts go through
// checks/launch.mjs, which runs the bundled CLI with plain Node.
if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  await runCommandLine(process.argv.slice(2), path.dirname(path.dirname(fileURLToPath(import.meta.url))));
}
