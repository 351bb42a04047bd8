import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe } from "vitest";
import { INSTALL_HINTS, redisAnswers } from "../scripts/local-services";
import { freePort } from "./ports";

// A throwaway redis-server for tests: its own free port on 127.0.0.1, its own temporary folder,
// nothing written to disk, stopped (and its folder deleted) when the test file ends. Tests that
// need Redis run only where redis-server is installed; `npm test` says once what it skipped
// (solutions/testing/services-setup.ts), and with WORKBOOK_REQUIRE_SERVICES=1 (CI) a missing
// redis-server is a failure instead.

export const REDIS_INSTALL_HINT = INSTALL_HINTS["redis-server"];

let installed: boolean | undefined;

/** Whether `redis-server` can be run from PATH. */
export function redisServerInstalled(): boolean {
  installed ??= spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
  return installed;
}

/** True when a missing service must fail the run rather than skip its tests (CI sets it). */
export function servicesRequired(env: Record<string, string | undefined> = process.env): boolean {
  return env.WORKBOOK_REQUIRE_SERVICES === "1" || env.WORKBOOK_REQUIRE_SERVICES === "true";
}

export type RedisServer = {
  url: string;
  port: number;
  /** The server's own temporary folder. */
  dir: string;
  /** Stops the server; clients connected to it see the connection close. Safe to call twice. */
  stop(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open and nothing answers, as when Redis hangs. */
  pause(): void;
  /** Lets a paused server run again. */
  resume(): void;
};

const running = new Set<ChildProcess>();
// A test process that dies without its afterAll must not leave a redis-server behind.
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

// Polls this process and the server once a second; once this process is gone (killed by a
// time limit, a crashed worker, Ctrl-C in a watcher) it stops the server and deletes its folder.
// The exit handler above cannot do that for a process that is killed outright.
const WATCHDOG = `
while kill -0 "$1" 2>/dev/null; do
  kill -0 "$2" 2>/dev/null || exit 0
  sleep 1
done
kill -CONT "$2" 2>/dev/null
kill "$2" 2>/dev/null
rm -rf "$3"
`;

function watch(child: ChildProcess, dir: string): void {
  if (process.platform === "win32" || child.pid === undefined) return;
  const watchdog = spawn("sh", ["-c", WATCHDOG, "redis-watchdog", String(process.pid), String(child.pid), dir], {
    detached: true,
    stdio: "ignore",
  });
  watchdog.on("error", () => {});
  watchdog.unref();
}

async function startOnce(port: number): Promise<RedisServer> {
  const dir = mkdtempSync(path.join(tmpdir(), "workbook-redis-"));
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir];
  const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
  // Each line the server logs as it starts ("Ready to accept connections" is the last) is a
  // moment to ask whether it answers, rather than the next poll.
  let logged: (() => void) | undefined;
  child.stdout?.on("data", () => logged?.());
  running.add(child);
  watch(child, dir);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exit.then(() => {
    exited = true;
    running.delete(child);
  });
  // Killed outright: the server keeps nothing worth a clean shutdown, which takes it about a
  // tenth of a second; its clients see their connections close either way.
  const stop = async () => {
    if (!exited) {
      child.kill("SIGKILL");
      await exit;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline && !exited) {
    if (await redisAnswers(port, 200)) {
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        dir,
        stop,
        pause: () => child.kill("SIGSTOP"),
        resume: () => child.kill("SIGCONT"),
      };
    }
    await new Promise<void>((resolve) => {
      logged = resolve;
      setTimeout(resolve, 25);
    });
  }
  logged = undefined;
  await stop();
  throw new Error(`redis-server did not answer PING on port ${port} within 5 s`);
}

/**
 * Starts a redis-server of its own, on `port` (to bring a stopped one back at the same address)
 * or on a free port; a free port taken by someone else in the meantime is retried on another.
 */
export async function startRedisServer(options: { port?: number } = {}): Promise<RedisServer> {
  if (!redisServerInstalled()) throw new Error(`redis-server is not installed. To install it: ${REDIS_INSTALL_HINT}.`);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      return await startOnce(options.port ?? (await freePort()));
    } catch (error) {
      lastError = error;
      if (options.port) break;
    }
  }
  throw lastError;
}

/**
 * `describe` for tests that need redis-server: skipped where it is not installed (npm test says
 * so once), and run anyway under WORKBOOK_REQUIRE_SERVICES=1, where they then fail saying why.
 */
export const describeWithRedis = describe.skipIf(!redisServerInstalled() && !servicesRequired());

/**
 * A server that accepts connections and never answers: what a client sees when Redis hangs
 * (stopped with SIGSTOP, swapping, or a network path that drops replies).
 */
export async function startSilentServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A plain client for tests to look inside Redis; it waits for the server like any tool would. */
export function inspector(url: string): Redis {
  return new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
}

/** The one line `npm test` prints when it skips what needs redis-server. */
export function redisSkipLine(what: string): string {
  return `Skipped ${what}: redis-server is not installed. To run them: ${REDIS_INSTALL_HINT}.`;
}

export type RedisLink = {
  url: string;
  /** Closes every connection and refuses new ones: to its clients, Redis has stopped. */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
  /** From now on, what clients send reaches Redis `delayMs` later: a slow network path. */
  slow(delayMs: number): void;
  /** From now on, nothing clients send reaches Redis and connections stay open: Redis hangs. */
  hang(): void;
  stop(): Promise<void>;
};

/**
 * A TCP proxy to a Redis server whose link can be cut and restored, slowed or left hanging: one
 * instance loses Redis while the others keep it (a network partition), which stopping the server
 * cannot show, and a test gets an outage without starting a server of its own.
 */
export async function startProxy(targetPort: number): Promise<RedisLink> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  };
  let delayMs = 0;
  let hung = false;
  const server = net.createServer((client) => {
    const upstream = net.connect({ port: targetPort, host: "127.0.0.1" });
    track(client);
    track(upstream);
    // Only ever slowed, never sped up again, so what a client sends keeps its order.
    client.on("data", (chunk) => {
      if (hung) return;
      if (delayMs > 0) setTimeout(() => upstream.write(chunk), delayMs);
      else upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (!hung) client.write(chunk);
    });
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  await listen(0);
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    cut: close,
    restore: () => listen(port),
    slow: (ms) => {
      delayMs = Math.max(delayMs, ms);
    },
    hang: () => {
      hung = true;
    },
    stop: close,
  };
}

/**
 * One redis-server for all the tests of a file, started when the first one asks and stopped when
 * the file ends: starting one costs a few dozen milliseconds, which every test that wanted an
 * outage of its own used to pay. Tests keep apart by their keys (and take outages through a
 * proxy, startProxy). Call it at the top of the file.
 */
export function redisServerForFile(): () => Promise<RedisServer> {
  let started: Promise<RedisServer> | undefined;
  afterAll(async () => {
    const server = started && (await started.catch(() => undefined));
    await server?.stop();
  });
  return () => {
    started ??= startRedisServer();
    return started;
  };
}
