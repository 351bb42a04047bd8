import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { freePort } from "../../solutions/testing/ports.ts";
import { send } from "./room-http.ts";

// A real room for the bench: the room's own entry point in one Node process (the process npm run
// room runs), on a free port, its file in a throwaway workbook.

export interface RunningRoom {
  child: ChildProcess;
  origin: string;
  joinCode: string;
  key: string;
  /** From spawning the process to its first answer (ms). */
  startMs: number;
}

/** Preloaded into the room: its event loop's stalls over 20 ms, written when it exits (latency-probe.cjs). */
const probe = path.join(import.meta.dirname, "latency-probe.cjs");

export async function startRoom(
  checkout: string,
  workbook: string,
  maxLearners: number,
  stallsDir?: string,
): Promise<RunningRoom> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(checkout, "checks/trainer/room/room.ts"), "--port", String(port)].concat([
      "--max-learners",
      String(maxLearners),
    ]),
    {
      cwd: checkout,
      env: {
        ...process.env,
        WORKBOOK_ROOT: workbook,
        ...(stallsDir && {
          NODE_OPTIONS: `--require ${JSON.stringify(probe)}`,
          BENCH_LATENCY_PROBE_DIR: stallsDir,
          BENCH_LATENCY_PROBE_SIGNALS: "keep",
        }),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk));
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (!/\?key=/.test(output) || !(await answers(origin))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the room did not start: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const startMs = performance.now() - started;
  const joinCode = /\/join\/([A-Za-z0-9_-]+)/.exec(output)![1]!;
  const key = /\?key=([A-Za-z0-9_-]+)/.exec(output)![1]!;
  return { child, origin, joinCode, key, startMs };
}

async function answers(origin: string): Promise<boolean> {
  try {
    return (await send(`${origin}/dashboard.css`, { timeoutMs: 1_000 })).status === 200;
  } catch {
    return false;
  }
}

/** Stops the room as Ctrl+C does; resolves with how long it took to write its file and exit (ms). */
export async function stopRoom(room: RunningRoom): Promise<number> {
  const started = performance.now();
  const exited = new Promise((resolve) => room.child.once("exit", resolve));
  room.child.kill("SIGINT");
  await exited;
  return performance.now() - started;
}

/** Resident memory of a process now and at its peak (MB); null off Linux. */
export function memoryMb(pid: number): { rss: number; peak: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)![1]);
    return { rss: Math.round(kb("VmRSS") / 1024), peak: Math.round(kb("VmHWM") / 1024) };
  } catch {
    return null;
  }
}

/** How long a process's main thread has run, and waited for a core to run on, so far (ms); null off Linux. */
export function mainThreadTimes(pid: number): { runMs: number; waitMs: number } | null {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8").split(" ").map(Number);
    return { runMs: run! / 1e6, waitMs: wait! / 1e6 };
  } catch {
    return null;
  }
}

export interface Stall {
  /** When it began (epoch ms), and how long the event loop could not run (ms). */
  at: number;
  ms: number;
  /** Over the stall: the share the main thread ran, and the share it waited for a core. */
  runningShare?: number;
  waitingShare?: number;
}

/** The stalls the room's event loop recorded, once it has exited. */
export function readStalls(dir: string, pid: number): Stall[] {
  try {
    return (JSON.parse(readFileSync(path.join(dir, `latency-${pid}.json`), "utf8")) as { stalls: Stall[] }).stalls;
  } catch {
    return [];
  }
}
