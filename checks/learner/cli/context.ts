import path from "node:path";
import { createInterface } from "node:readline/promises";
import type { Output } from "../render/output.ts";
import { UserError } from "./user-error.ts";
import type { Env } from "./env.ts";
import { type StatusListener, Workbook } from "../workbook/workbook.ts";
import { type HostOptions, type TestHost, learnerPool, startTestHost } from "../runner/run-tests.ts";
import { workbookDir } from "../workbook/workbook-dir.ts";
import type { RoomNotes } from "../room/notes.ts";

// What every command gets: the project root and its streams, injected so tests can run a command
// on a temporary workbook and read what it printed.

export interface InputLike extends NodeJS.EventEmitter {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  resume(): unknown;
  pause(): unknown;
  setEncoding?(encoding: BufferEncoding): unknown;
}

export interface Context {
  root: string;
  out: Output;
  env: Env;
  stdin: InputLike;
  now: () => Date;
  /** Asks a yes/no question on the terminal. */
  ask: (question: string) => Promise<boolean>;
  /** Told how a lesson stands after every verdict, hint, solve and reset (a trainer's room). */
  onStatus?: StatusListener;
  /** The trainer's notes to this learner, in a room: watch mode and check show them. */
  room?: RoomNotes;
  /** The lesson folder the command was run from ("lesson-3-repository"), the lesson meant when none is named. */
  lessonHere?: string;
  /**
   * Hands out the test host the CLI started before this command loaded (check, watch), so that
   * vitest's start-up overlapped the CLI's own; undefined once taken. See openTestHost.
   */
  takeEarlyTestHost?: () => TestHost | undefined;
}

export function terminalAsk(
  stdin: NodeJS.ReadableStream,
  stdout: NodeJS.WritableStream,
): (question: string) => Promise<boolean> {
  return async (question) => {
    const readline = createInterface({ input: stdin, output: stdout });
    try {
      const answer = await readline.question(`${question} [y/N] `);
      return /^y(es)?$/i.test(answer.trim());
    } finally {
      readline.close();
    }
  };
}

/** Asks before overwriting a learner's file; with no terminal to ask in, insists on --yes. */
export async function confirm(ctx: Context, yes: boolean, question: string, retry: string): Promise<boolean> {
  if (yes) return true;
  if (!ctx.stdin.isTTY)
    throw new UserError(
      `Nothing changed: add --yes to confirm (${retry} --yes), since there is no terminal to ask in.`,
    );
  return ctx.ask(question);
}

/** The test host for this command's runs: the early one if not taken yet, else a new one. The caller closes it. */
export function openTestHost(ctx: Context): TestHost {
  return ctx.takeEarlyTestHost?.() ?? startTestHost(ctx.root, "stub", learnerHostOptions(ctx.root, ctx.env));
}

/** How a learner's checks run their tests: in the learner's pool, which keeps what runs import in .workbook/. */
export function learnerHostOptions(root: string, env: Env): HostOptions {
  return { env, pool: learnerPool, warmImports: path.join(root, workbookDir, "tmp", "warm-imports.json") };
}

/** The workbook of this command: its lessons and progress, with warnings on stderr. */
export function openWorkbook(ctx: Context): Workbook {
  const workbook = Workbook.open(ctx.root, { warn: (line) => ctx.out.warn(line), now: ctx.now });
  if (ctx.onStatus) workbook.onStatus(ctx.onStatus);
  return workbook;
}
