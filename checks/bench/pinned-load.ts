import { execFileSync, spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";

// Latency measured fairly: on a small machine a load generator that shares the server's core
// delays the server's answers and then blames them on the server. So each server's main thread
// (its event loop, where every request runs) gets core 0 to itself, and the load generator, run
// as its own process, core 1 (taskset, Linux). The servers' other threads (V8's garbage collector
// and compiler helpers, libuv's pool) go to core 1 too: confined to the main thread's core, they
// took it from the event loop for tens of milliseconds at a time (see README.md, "Latency at half
// load"). Where pinning is impossible the caller is told, and everything runs unpinned.

const CONSTANT_RATE = path.join(import.meta.dirname, "constant-rate.mjs");
const BARE_SERVER = path.join(import.meta.dirname, "bare-server.mjs");

type Pinning = { serverCpu: number; loadCpu: number };

/** The cores to use, or why pinning is not possible here. */
export function pinning(): Pinning | { unavailable: string } {
  if (process.platform !== "linux") return { unavailable: "taskset is Linux-only" };
  if (os.cpus().length < 2) return { unavailable: "one core: nowhere to keep the load generator apart" };
  try {
    execFileSync("taskset", ["-V"], { stdio: "ignore" });
  } catch {
    return { unavailable: "taskset not found (Debian/Ubuntu: util-linux)" };
  }
  return { serverCpu: 0, loadCpu: 1 };
}

/** "split": a server's main thread alone on its core; "together": all its threads there (as before). */
export type Placement = "split" | "together";

/**
 * Pins running servers (a server and what it started). Split: every thread to the generator's
 * core, then each process's main thread, whose id is the process's, to the server core.
 * Together: every thread to the server core.
 */
export function pinServers(pids: readonly number[], pins: Pinning, placement: Placement): void {
  const taskset = (...args: string[]) => execFileSync("taskset", args, { stdio: "ignore" });
  for (const pid of pids) {
    if (placement === "together") taskset("-a", "-p", "-c", String(pins.serverCpu), String(pid));
    else {
      taskset("-a", "-p", "-c", String(pins.loadCpu), String(pid));
      taskset("-p", "-c", String(pins.serverCpu), String(pid));
    }
  }
}

/** `node script args…`, pinned to `cpu` when one is given; resolves with its stdout. */
function runNode(script: string, args: string[], cpu: number | undefined): Promise<string> {
  const [command, argv] =
    cpu === undefined
      ? [process.execPath, [script, ...args]]
      : ["taskset", ["-c", String(cpu), process.execPath, script, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`${path.basename(script)} exited ${code}: ${stderr.slice(-500)}`)),
    );
  });
}

export type Load = {
  origin: string;
  paths: readonly string[];
  method?: string;
  headers?: Record<string, string>;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  /** The core to run the generator on; unpinned without one. */
  cpu?: number;
};

/** How many requests per second the server answers when `connections` clients never let it rest. */
export async function saturatedThroughput(load: Load): Promise<{ requestsPerSecond: number; errors: number }> {
  const { cpu, ...settings } = load;
  return JSON.parse(await runNode(CONSTANT_RATE, [JSON.stringify({ ...settings, rate: "saturate" })], cpu));
}

type ConstantRateResult = {
  requests: number;
  answered: number;
  errors: number;
  statuses: Record<string, number>;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number };
  /** How late the generator itself sent: when this is large, it measured itself. */
  generatorLateMs: { p50: number; p99: number; max: number };
};

/** constant-rate.mjs (open loop, latency counted from when each request was due) in its own process. */
export async function constantRate(load: Load & { rate: number }): Promise<ConstantRateResult> {
  const { cpu, ...settings } = load;
  return JSON.parse(await runNode(CONSTANT_RATE, [JSON.stringify(settings)], cpu)) as ConstantRateResult;
}

/** A bare node:http server answering a small JSON body: the floor the machine itself sets. */
export async function startBareServer(): Promise<{ url: string; pid: number; stop: () => void }> {
  const child = spawn(process.execPath, [BARE_SERVER], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`bare server exited ${code}`)));
    child.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
  });
  return { url, pid: child.pid!, stop: () => child.kill() };
}
