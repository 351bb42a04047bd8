import { execFileSync, spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";

// Latency at a fixed offered rate, measured fairly: on a small machine a load generator that
// shares the server's core delays the server's answers and then blames them on the server. So
// the servers are pinned to one core and autocannon, run as its own process, to the other
// (taskset, Linux). Where that is impossible the caller is told, and measures in-process.

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const AUTOCANNON = path.join(ROOT, "node_modules", "autocannon", "autocannon.js");

export type Pinning = { serverCpu: number; loadCpu: number };

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

/** Pins running processes (a server and what it started) to one core. */
export function pinProcesses(pids: readonly number[], cpu: number): void {
  for (const pid of pids) execFileSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { stdio: "ignore" });
}

export type PinnedResult = { p50Ms: number; p99Ms: number; requests: number; non2xx: number; errors: number };

/** autocannon at `rate` requests per second in all, in a process of its own on `cpu`. */
export function pinnedLoad(options: {
  url: string;
  cpu: number;
  rate: number;
  connections: number;
  durationSeconds: number;
  headers?: Record<string, string>;
}): Promise<PinnedResult> {
  const args = [
    "-c",
    String(options.cpu),
    process.execPath,
    AUTOCANNON,
    "--json",
    "-c",
    String(options.connections),
    "-d",
    String(options.durationSeconds),
    "-R",
    String(options.rate),
    ...Object.entries(options.headers ?? {}).flatMap(([name, value]) => ["-H", `${name}=${value}`]),
    options.url,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn("taskset", args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}: ${stderr.slice(-500)}`));
      const result = JSON.parse(stdout) as {
        latency: { p50: number; p99: number };
        requests: { total: number };
        non2xx: number;
        errors: number;
      };
      resolve({
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        requests: result.requests.total,
        non2xx: result.non2xx,
        errors: result.errors,
      });
    });
  });
}
