import { spawnSync } from "node:child_process";
import { chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, portIsFree } from "@/testing/ports";
import { servicesRequired } from "@/testing/redis-server";
import { PROJECT_ROOT, runCommand, runTsx, type ScriptResult, TSX } from "@/testing/run-script";
import { missingServices, postgresAnswers, redisAnswers } from "./local-services";

// `npm run services start|status|stop` as a developer runs it on their own machine: not as root.
// Run as root (CI), the test runs the script as an unprivileged system user of its own
// (`workbook-dev`, created once with useradd, reused after) through runuser; run by anyone else,
// as that same user. Either way on free ports, with the data in a temporary folder that user owns
// (WORKBOOK_SERVICES_DIR), so a developer's own services in .services/ are left alone. Without
// PostgreSQL or redis-server it is skipped, saying why; under WORKBOOK_REQUIRE_SERVICES=1 (CI)
// that is a failure. A checkout or Node the unprivileged user cannot reach (under /root, say) is
// how the machine is laid out, not a missing service: that is skipped, saying why, in CI too.

const UNPRIVILEGED_USER = "workbook-dev";
const SCRIPT = "solutions/scripts/services.ts";

type RunAs = { name: string; uid: number; gid: number; runuser: boolean };

const unprivilegedUser = (name: string): RunAs => {
  const id = (flag: string) => Number(spawnSync("id", [flag, name], { encoding: "utf8" }).stdout.trim());
  return { name, uid: id("-u"), gid: id("-g"), runuser: true };
};
function currentUser(): RunAs {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    name = `uid ${process.getuid?.()}`; // Why: a uid with no passwd entry (a container's --user) has no name.
  }
  return { name, uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1, runuser: false };
}
const userExists = (name: string) => spawnSync("id", ["-u", name], { stdio: "ignore" }).status === 0;

/** Who runs the script, or why the test cannot run here (`layout`: not for want of a service). */
function whoRuns(): RunAs | { reason: string; layout?: true } {
  const missing = missingServices();
  if (missing.length > 0) return { reason: `missing ${missing.map((m) => `${m.name} (${m.install})`).join(" and ")}` };
  if (process.getuid?.() !== 0) return currentUser();
  if (spawnSync("runuser", ["--version"], { stdio: "ignore" }).status !== 0) {
    return { reason: "the test runs as root, and without runuser (util-linux) it cannot run as another user" };
  }
  if (!userExists(UNPRIVILEGED_USER)) {
    const args = ["--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin"];
    const made = spawnSync("useradd", [...args, UNPRIVILEGED_USER], { encoding: "utf8" });
    // Another test run may have created it in the meantime: what counts is that it exists now.
    if (!userExists(UNPRIVILEGED_USER)) {
      return { reason: `useradd could not create the user ${UNPRIVILEGED_USER}: ${made.stderr?.trim() || made.error}` };
    }
  }
  // The script runs from this checkout with this Node: a folder above either that is closed to
  // other users (a checkout or nvm under /root) keeps the unprivileged user out.
  for (const [flag, file, verb] of [
    ["-x", process.execPath, "run"],
    ["-r", TSX, "read"],
    ["-r", path.join(PROJECT_ROOT, SCRIPT), "read"],
  ] as const) {
    if (spawnSync("runuser", ["-u", UNPRIVILEGED_USER, "--", "test", flag, file]).status !== 0) {
      return {
        reason: `${UNPRIVILEGED_USER} cannot ${verb} ${file}: a folder above it is closed to other users; put the checkout and Node where other users can reach them`,
        layout: true,
      };
    }
  }
  return unprivilegedUser(UNPRIVILEGED_USER);
}

const who = whoRuns();
const required = servicesRequired() && !("layout" in who);
if ("reason" in who && !required) {
  console.warn(`Skipping the test of npm run services as a user other than root: ${who.reason}.`);
}
const user = "reason" in who ? null : who;

let folder: string;
let postgresPort: number;
let redisPort: number;
const servicesDir = () => path.join(folder, "services");

/** `npm run services <command>` as that user, on this test's ports and data folder. */
function services(command: "start" | "stop" | "status"): Promise<ScriptResult> {
  if (!user) throw new Error("no user to run the services as");
  const env: Record<string, string> = {
    WORKBOOK_SERVICES_DIR: servicesDir(),
    WORKBOOK_POSTGRES_PORT: String(postgresPort),
    WORKBOOK_REDIS_PORT: String(redisPort),
  };
  if (!user.runuser) return runTsx(SCRIPT, [command], { env });
  // runuser sets HOME to the user's (missing) home; tsx keeps its cache in TMPDIR: both go to
  // the folder the user owns.
  const settings = Object.entries({ ...env, HOME: folder, TMPDIR: folder }).map(([key, value]) => `${key}=${value}`);
  return runCommand("runuser", ["-u", user.name, "--", "env", ...settings, process.execPath, TSX, SCRIPT, command]);
}

const pidIn = (file: string) => Number(readFileSync(file, "utf8").split("\n")[0]);
const postgresPid = () => pidIn(path.join(servicesDir(), "postgresql", "postmaster.pid"));
const redisPid = () => pidIn(path.join(servicesDir(), "redis", "redis.pid"));
const ownerOf = (pid: number) =>
  Number(spawnSync("ps", ["-o", "uid=", "-p", String(pid)], { encoding: "utf8" }).stdout);

function exportLines(): string {
  return (
    `export DATABASE_URL=postgresql://postgres@127.0.0.1:${postgresPort}/workbook\n` +
    `export REDIS_URL=redis://127.0.0.1:${redisPort}/0\n`
  );
}

const title = user?.runuser
  ? `npm run services as the unprivileged user ${user.name}, not root`
  : `npm run services as ${user?.name ?? "a user other than root"}`;

describe.skipIf(!user && !required)(title, { timeout: 90_000 }, () => {
  beforeAll(async () => {
    if (!user)
      throw new Error(
        `This test is required (WORKBOOK_REQUIRE_SERVICES=1), but ${(who as { reason: string }).reason}.`,
      );
    folder = mkdtempSync(path.join(tmpdir(), "workbook-unprivileged-"));
    if (user.runuser) chownSync(folder, user.uid, user.gid);
    postgresPort = await freePort();
    do redisPort = await freePort();
    while (redisPort === postgresPort);
  });

  // Whatever failed, nothing this test started keeps running, and its folder goes.
  afterAll(async () => {
    if (!folder) return;
    await services("stop").catch(() => {});
    // Last resort, by the pid each wrote, and only while its port still answers (so the pid is
    // still that server's): SIGQUIT is PostgreSQL's immediate shutdown, which ends its workers too.
    if (await postgresAnswers(postgresPort)) killQuietly(postgresPid, "SIGQUIT");
    if (await redisAnswers(redisPort)) killQuietly(redisPid, "SIGKILL");
    rmSync(folder, { recursive: true, force: true });
  }, 60_000);

  // What `sudo npm run services start` leaves behind in a developer's checkout: a root-owned folder.
  it.runIf(user?.runuser)("a data folder left by a run as root is refused, naming it and its owner", async () => {
    mkdirSync(servicesDir());
    try {
      const result = await services("start");
      expect(result).toMatchObject({ code: 1, stdout: "" });
      expect(result.stderr).toContain(
        `✗ ${servicesDir()} belongs to root, and you cannot use it (left by a run as root?)`,
      );
      expect(await postgresAnswers(postgresPort)).toBe(false);
      expect(await redisAnswers(redisPort)).toBe(false);
    } finally {
      rmSync(servicesDir(), { recursive: true, force: true });
    }
  });

  it("start prints the export lines; PostgreSQL (migrated, seeded) and Redis answer, run by that user", async () => {
    const result = await services("start");
    expect(result.stderr).toContain(`✓ PostgreSQL started on 127.0.0.1:${postgresPort}`);
    expect(result.stderr).toContain(`✓ Redis started on 127.0.0.1:${redisPort}`);
    expect(result).toMatchObject({ code: 0, stdout: exportLines() });

    const client = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1:${postgresPort}/workbook` });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT COUNT(*)::int AS users FROM "User"`);
      expect(rows[0].users).toBeGreaterThan(0);
    } finally {
      await client.end();
    }
    expect(await redisAnswers(redisPort)).toBe(true);
    expect(ownerOf(postgresPid())).toBe(user?.uid);
    expect(ownerOf(redisPid())).toBe(user?.uid);
  });

  it("start again finds both running and starts, migrates and seeds nothing", async () => {
    const pids = [postgresPid(), redisPid()];
    const result = await services("start");
    expect(result).toMatchObject({ code: 0, stdout: exportLines() });
    expect(result.stderr).toContain(
      `✓ PostgreSQL running on 127.0.0.1:${postgresPort}: 0 migration(s) applied, 0 seed user(s) added`,
    );
    expect(result.stderr).toContain(`✓ Redis running on 127.0.0.1:${redisPort}`);
    expect([postgresPid(), redisPid()]).toEqual(pids);
  });

  it("status says both run", async () => {
    expect(await services("status")).toEqual({
      code: 0,
      stdout: "",
      stderr: `PostgreSQL on 127.0.0.1:${postgresPort}: running\nRedis on 127.0.0.1:${redisPort}: running\n`,
    });
  });

  it("stop stops both and frees their ports; status then says neither runs", async () => {
    const result = await services("stop");
    expect(result.stderr).toContain(`✓ PostgreSQL on 127.0.0.1:${postgresPort}: stopped`);
    expect(result.stderr).toContain(`✓ Redis on 127.0.0.1:${redisPort}: stopped`);
    expect(result.code).toBe(0);
    expect(await postgresAnswers(postgresPort)).toBe(false);
    expect(await redisAnswers(redisPort)).toBe(false);
    expect(await portIsFree(postgresPort)).toBe(true);
    expect(await portIsFree(redisPort)).toBe(true);
    expect(await services("status")).toMatchObject({ code: 3 });
  });

  it("start after stop starts both again on the data it kept, and stop stops them", async () => {
    const started = await services("start");
    expect(started).toMatchObject({ code: 0, stdout: exportLines() });
    expect(started.stderr).toContain(
      `✓ PostgreSQL started on 127.0.0.1:${postgresPort}: 0 migration(s) applied, 0 seed user(s) added`,
    );
    expect(started.stderr).toContain(`✓ Redis started on 127.0.0.1:${redisPort}`);
    const stopped = await services("stop");
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toContain(`✓ PostgreSQL on 127.0.0.1:${postgresPort}: stopped`);
    expect(stopped.stderr).toContain(`✓ Redis on 127.0.0.1:${redisPort}: stopped`);
  });

  it("everything in its data folder belongs to that user", () => {
    expect(existsSync(path.join(servicesDir(), "postgresql", "PG_VERSION"))).toBe(true);
    const foreign = readdirSync(folder, { recursive: true, encoding: "utf8" })
      .map((entry) => path.join(folder, entry))
      .filter((file) => lstatSync(file).uid !== user?.uid);
    expect(foreign).toEqual([]);
  });
});

function killQuietly(pid: () => number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid(), signal);
  } catch {
    // The pid file is gone or the process already ended: nothing left to stop.
  }
}
