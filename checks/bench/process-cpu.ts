import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

// CPU time used by a server and the processes it started, read from /proc (Linux only). On a
// machine shared with other work, throughput swings with the neighbors' load, but the CPU time
// the server spends per request barely moves, so it makes the steadier comparison.

const TICKS_PER_SECOND = 100;

type Row = { pid: number; ppid: number; args: string };

function processTable(): Row[] {
  return execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" })
    .split("\n")
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! }));
}

/** This process's descendants; [] off Linux. Diff two calls to find what a start-up added. */
export function descendants(): number[] {
  if (process.platform !== "linux") return [];
  // ps lists itself, as a child of this process: leave it out.
  const table = processTable().filter((row) => !row.args.startsWith("ps "));
  const pids = [process.pid];
  for (let i = 0; i < pids.length; i += 1)
    pids.push(...table.filter((row) => row.ppid === pids[i]).map((row) => row.pid));
  return pids.slice(1);
}

/** User plus system CPU milliseconds used so far by `pids`; null when it cannot be read. */
export function cpuMs(pids: readonly number[]): number | null {
  if (pids.length === 0) return null;
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the command name (which may hold spaces) start at state; utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return null;
    }
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}
