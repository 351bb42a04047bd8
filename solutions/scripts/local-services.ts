import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  accessSync,
  chownSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as pause } from "node:timers/promises";

// Local PostgreSQL and Redis for running the API scaled out: started on 127.0.0.1 on ports that
// do not clash with a system install, their data in a git-ignored folder of the project. Used by
// `npm run services` and by the scale-out suite. Liveness is always checked by talking to the
// port, never by looking for a process name: a port that answers is a server that works.

export const PROJECT_ROOT = path.resolve(import.meta.dirname, "..", "..");

export type ServicesOptions = {
  /** Where the data lives; PostgreSQL's data directory and Redis's working directory go inside. */
  dataDir: string;
  postgresPort: number;
  redisPort: number;
};

// Below 32768: Linux hands out ports from 32768 up to any program's outgoing connections and
// "any free port" servers, which would now and then hold a port up there when a service starts.
// WORKBOOK_SERVICES_DIR puts the data elsewhere: a second set of services beside the project's
// own (the unprivileged test runs its own this way), or a checkout its user cannot write to.
export const DEFAULT_SERVICES: ServicesOptions = {
  dataDir: process.env.WORKBOOK_SERVICES_DIR
    ? path.resolve(process.env.WORKBOOK_SERVICES_DIR)
    : path.join(PROJECT_ROOT, ".services"),
  postgresPort: Number(process.env.WORKBOOK_POSTGRES_PORT) || 25432,
  redisPort: Number(process.env.WORKBOOK_REDIS_PORT) || 26379,
};

export const DATABASE_NAME = "workbook";

export const postgresUrl = (port: number, database = DATABASE_NAME) =>
  `postgresql://postgres@127.0.0.1:${port}/${database}`;
export const redisUrl = (port: number, db = 0) => `redis://127.0.0.1:${port}/${db}`;

const isRoot = () => process.getuid?.() === 0;

function onPath(command: string): boolean {
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  return dirs.some((dir) => existsSync(path.join(dir, command)));
}

/** PostgreSQL's server programs (initdb, pg_ctl): pg_config's bindir, else the newest Debian install. */
export function postgresBinDir(): string | null {
  const fromConfig = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  const candidates = fromConfig.status === 0 ? [fromConfig.stdout.trim()] : [];
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => path.join(debian, v, "bin")));
  }
  return candidates.find((dir) => existsSync(path.join(dir, "initdb")) && existsSync(path.join(dir, "pg_ctl"))) ?? null;
}

export const INSTALL_HINTS = {
  "redis-server": "Debian/Ubuntu: sudo apt-get install -y redis-server · macOS: brew install redis",
  postgresql: "Debian/Ubuntu: sudo apt-get install -y postgresql · macOS: brew install postgresql@16",
} as const;

/** What this machine lacks to run the services, each with the command that installs it. */
export function missingServices(): { name: keyof typeof INSTALL_HINTS; install: string }[] {
  const missing: { name: keyof typeof INSTALL_HINTS; install: string }[] = [];
  if (!onPath("redis-server")) missing.push({ name: "redis-server", install: INSTALL_HINTS["redis-server"] });
  if (!postgresBinDir()) missing.push({ name: "postgresql", install: INSTALL_HINTS.postgresql });
  return missing;
}

/** Installs redis-server with apt-get when allowed to (as root, or with sudo that needs no password). */
export function installRedis(log: (line: string) => void): boolean {
  if (onPath("redis-server")) return true;
  if (!onPath("apt-get")) return false;
  const sudo = isRoot() ? [] : spawnSync("sudo", ["-n", "true"], { stdio: "ignore" }).status === 0 ? ["sudo"] : null;
  if (!sudo) return false;
  log("Installing redis-server with apt-get…");
  const run = (args: string[]) =>
    spawnSync(sudo[0] ?? args[0]!, sudo.length ? args : args.slice(1), {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    }).status === 0;
  if (!run(["apt-get", "install", "-y", "redis-server"])) {
    run(["apt-get", "update"]);
    run(["apt-get", "install", "-y", "redis-server"]);
  }
  return onPath("redis-server");
}

// ---------------------------------------------------------------------------------------------
// Redis

/** True when something on 127.0.0.1:port answers Redis's PING with PONG. */
export function redisAnswers(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let reply = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk;
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });
}

async function startRedis({ dataDir, redisPort }: ServicesOptions): Promise<"started" | "running"> {
  if (await redisAnswers(redisPort)) return "running";
  const dir = path.join(dataDir, "redis");
  mkdirSync(dir, { recursive: true });
  // No persistence: the limiter's windows and the cache's messages are worth nothing after a restart.
  execFileSync(
    "redis-server",
    [
      "--port",
      String(redisPort),
      "--bind",
      "127.0.0.1",
      "--daemonize",
      "yes",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--pidfile",
      path.join(dir, "redis.pid"),
      "--logfile",
      path.join(dir, "redis.log"),
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  await waitFor(() => redisAnswers(redisPort), `Redis on port ${redisPort} (see ${path.join(dir, "redis.log")})`);
  return "started";
}

export async function stopRedis({ redisPort }: ServicesOptions): Promise<"stopped" | "not running"> {
  if (!(await redisAnswers(redisPort))) return "not running";
  await new Promise<void>((resolve) => {
    const socket = connect({ host: "127.0.0.1", port: redisPort }, () => socket.end("SHUTDOWN NOSAVE\r\n"));
    socket.on("error", () => resolve());
    socket.on("close", () => resolve());
  });
  await waitFor(async () => !(await redisAnswers(redisPort)), `Redis on port ${redisPort} to stop`);
  return "stopped";
}

/** Empties one of Redis's numbered databases (the scale-out suite's, never the one the API uses by default). */
export function flushRedisDb(port: number, db: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => socket.write(`SELECT ${db}\r\nFLUSHDB\r\n`));
    let reply = "";
    socket.setTimeout(5_000, () => socket.destroy(new Error(`Redis on port ${port} did not answer FLUSHDB`)));
    socket.on("error", reject);
    socket.on("data", (chunk) => {
      reply += chunk;
      if (reply.split("\r\n").length > 2) {
        socket.end();
        if (reply === "+OK\r\n+OK\r\n") resolve();
        else reject(new Error(`Redis refused to empty database ${db}: ${reply.trim()}`));
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** True when the PostgreSQL server on 127.0.0.1:port accepts a connection and runs a query. */
export async function postgresAnswers(port: number, database = "postgres"): Promise<boolean> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: postgresUrl(port, database), connectionTimeoutMillis: 1_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

// As root, PostgreSQL refuses to run, so its programs run as the `postgres` user, which must be
// able to write the data directory: inside the project when it can reach it, else in /tmp.
function postgresDataDir({ dataDir }: ServicesOptions): string {
  const inProject = path.join(dataDir, "postgresql");
  if (!isRoot()) return inProject;
  mkdirSync(dataDir, { recursive: true });
  const reachable =
    spawnSync("runuser", ["-u", "postgres", "--", "test", "-x", dataDir], { stdio: "ignore" }).status === 0;
  if (reachable) return inProject;
  const id = createHash("sha256").update(dataDir).digest("hex").slice(0, 12);
  return path.join(tmpdir(), `workbook-postgresql-${id}`);
}

function asPostgresUser(program: string, args: string[], quiet = true): void {
  const [command, fullArgs] = isRoot() ? ["runuser", ["-u", "postgres", "--", program, ...args]] : [program, args];
  const result = spawnSync(command, fullArgs as string[], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (result.status !== 0) {
    throw new Error(
      `${path.basename(program)} failed (exit ${result.status}): ${(result.stderr || result.stdout).trim()}`,
    );
  }
  if (!quiet) process.stdout.write(result.stdout);
}

async function startPostgres(options: ServicesOptions): Promise<"started" | "running"> {
  const { postgresPort } = options;
  if (await postgresAnswers(postgresPort)) {
    await ensureDatabase(postgresPort, DATABASE_NAME);
    return "running";
  }
  const bin = postgresBinDir();
  if (!bin) throw new Error(`PostgreSQL is not installed. ${INSTALL_HINTS.postgresql}`);
  const data = postgresDataDir(options);
  if (!existsSync(path.join(data, "PG_VERSION"))) initPostgresData(bin, data);
  pgCtlStart(bin, data, postgresPort);
  await waitFor(
    () => postgresAnswers(postgresPort),
    `PostgreSQL on port ${postgresPort} (see ${path.join(data, "server.log")})`,
  );
  await ensureDatabase(postgresPort, DATABASE_NAME);
  return "started";
}

/** A new data directory, owned by the `postgres` user when run as root. */
function initPostgresData(bin: string, data: string): void {
  mkdirSync(data, { recursive: true, mode: 0o700 });
  if (isRoot()) {
    const { uid, gid } = postgresUser();
    chownSync(data, uid, gid);
  }
  // Trust on 127.0.0.1 only: a throwaway server for development and tests, never exposed.
  asPostgresUser(path.join(bin, "initdb"), [
    "-D",
    data,
    "-U",
    "postgres",
    "--auth=trust",
    "--encoding=UTF8",
    "--no-locale",
  ]);
  writeFileSync(
    path.join(data, "postgresql.auto.conf"),
    [
      "listen_addresses = '127.0.0.1'",
      "unix_socket_directories = ''",
      // Durability is not worth its cost for a local server whose data can be re-created.
      "fsync = off",
      "synchronous_commit = off",
      "full_page_writes = off",
      "max_connections = 200",
      "",
    ].join("\n"),
  );
  if (isRoot()) chownSync(path.join(data, "postgresql.auto.conf"), postgresUser().uid, postgresUser().gid);
}

/** pg_ctl start, waiting for the server; when it fails, the error says why, from the server's log. */
function pgCtlStart(bin: string, data: string, port: number): void {
  const log = path.join(data, "server.log");
  try {
    // The port is given on each start, so a data folder follows WORKBOOK_POSTGRES_PORT.
    asPostgresUser(path.join(bin, "pg_ctl"), ["-D", data, "-l", log, "-o", `-p ${port}`, "-w", "-t", "30", "start"]);
  } catch (error) {
    // pg_ctl only says "could not start server"; the reason is the log's last FATAL line.
    const fatal = readFileSync(log, "utf8")
      .split("\n")
      .filter((line) => /FATAL|HINT/.test(line))
      .slice(-2);
    const reason = fatal.map((l) => l.replace(/^.*?(FATAL|HINT):\s*/, "")).join(" ") || `see ${log}`;
    throw new Error(`PostgreSQL did not start on port ${port}: ${reason}`, { cause: error });
  }
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

/** Creates `database` on the server when it does not exist yet; returns whether it did. */
export async function ensureDatabase(port: number, database: string, { recreate = false } = {}): Promise<boolean> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: postgresUrl(port, "postgres"), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const quoted = `"${database.replaceAll('"', '""')}"`;
    if (recreate) await client.query(`DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`);
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (rowCount) return false;
    await client.query(`CREATE DATABASE ${quoted}`);
    return true;
  } finally {
    await client.end();
  }
}

export async function stopPostgres(options: ServicesOptions): Promise<"stopped" | "not running"> {
  if (!(await postgresAnswers(options.postgresPort))) return "not running";
  const bin = postgresBinDir();
  const data = postgresDataDir(options);
  if (!bin || !existsSync(path.join(data, "PG_VERSION"))) {
    throw new Error(
      `A PostgreSQL server on port ${options.postgresPort} was not started from ${data}; stop it yourself.`,
    );
  }
  asPostgresUser(path.join(bin, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "-t", "30", "stop"]);
  return "stopped";
}

// ---------------------------------------------------------------------------------------------

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what} after ${timeoutMs / 1000} s`);
    await pause(100);
  }
}

export type ServicesState = { postgres: string; redis: string; databaseUrl: string; redisUrl: string };

/**
 * Not as root: refuses data folders this user cannot use, which a run as root leaves behind
 * (PostgreSQL's owned by `postgres`, the others by root), naming the folder and its owner.
 */
function checkDataDirOwner({ dataDir }: ServicesOptions): void {
  const uid = process.getuid?.();
  if (uid === undefined || uid === 0) return;
  const writable = (dir: string) => {
    try {
      accessSync(dir, constants.W_OK | constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  // PostgreSQL refuses a data directory its user does not own; the others need only be writable.
  const checks: [string, (dir: string, owner: number) => boolean][] = [
    [dataDir, writable],
    [path.join(dataDir, "postgresql"), (_, owner) => owner === uid],
    [path.join(dataDir, "redis"), writable],
  ];
  for (const [dir, usable] of checks) {
    if (!existsSync(dir)) continue; // Not there yet: it is created as this user.
    const owner = statSync(dir).uid;
    // Why: else initdb, mkdir or redis-server fail later with a bare "Permission denied".
    if (!usable(dir, owner)) {
      const name = spawnSync("id", ["-nu", String(owner)], { encoding: "utf8" }).stdout?.trim() || `uid ${owner}`;
      throw new Error(
        `${dir} belongs to ${name}, and you cannot use it (left by a run as root?): delete it (sudo rm -rf ${dir}) ` +
          "and start again, or keep the data elsewhere with WORKBOOK_SERVICES_DIR=<folder>.",
      );
    }
  }
}

/** Starts both services unless they already run; says for each whether it was started. */
export async function startServices(
  options = DEFAULT_SERVICES,
  log: (line: string) => void = () => {},
): Promise<ServicesState> {
  const missing = missingServices().filter((m) => m.name !== "redis-server" || !installRedis(log));
  if (missing.length > 0) {
    throw new Error(`Missing ${missing.map((m) => `${m.name} (${m.install})`).join(" and ")}.`);
  }
  checkDataDirOwner(options);
  const [postgres, redis] = [await startPostgres(options), await startRedis(options)];
  return { postgres, redis, databaseUrl: postgresUrl(options.postgresPort), redisUrl: redisUrl(options.redisPort) };
}

export async function stopServices(options = DEFAULT_SERVICES): Promise<{ postgres: string; redis: string }> {
  // Both are attempted even when the first fails, so `stop` never leaves one running silently.
  const [postgres, redis] = await Promise.allSettled([stopPostgres(options), stopRedis(options)]);
  const failed = [postgres, redis].filter((r) => r.status === "rejected");
  if (failed.length)
    throw new Error(failed.map((r) => String((r as PromiseRejectedResult).reason?.message)).join("; "));
  return {
    postgres: (postgres as PromiseFulfilledResult<string>).value,
    redis: (redis as PromiseFulfilledResult<string>).value,
  };
}

export async function servicesStatus(options = DEFAULT_SERVICES): Promise<{ postgres: boolean; redis: boolean }> {
  const [postgres, redis] = await Promise.all([postgresAnswers(options.postgresPort), redisAnswers(options.redisPort)]);
  return { postgres, redis };
}
