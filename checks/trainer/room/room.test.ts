import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { type AddressInfo, type Socket, connect, createServer } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type FixtureWorkbook, cleanEnv, createFixtureWorkbook, projectRoot } from "../../testing/fixture-workbook.ts";
import { freePort, portIsFree } from "../../../solutions/testing/ports.ts";
import { lanAddress } from "./room.ts";
import { requestFrom } from "./test-room.ts";

// npm run room as a trainer runs it: a real process on a real port, in a throwaway workbook.

let workbook: FixtureWorkbook | undefined;
let child: ChildProcess | undefined;
afterEach(() => {
  // Each room runs in a process group of its own: whatever a failed test left running stops here.
  try {
    if (child?.pid) process.kill(-child.pid, "SIGKILL");
  } catch {
    // Already gone, as it should be.
  }
  child = undefined;
  workbook?.remove();
  workbook = undefined;
});

function startRoom(
  args: string[],
  root: string,
  through: "node" | "npm" = "node",
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const [command, ...rest] =
    through === "npm"
      ? ["npm", "run", "-s", "room", "--"]
      : // One process, the room itself (tsx's own command would run it in a child of its own).
        [process.execPath, "--import", "tsx", path.join(projectRoot, "checks/trainer/room/room.ts")];
  const started: ChildProcess = spawn(command!, [...rest, ...args], {
    cwd: projectRoot,
    env: { ...cleanEnv(), WORKBOOK_ROOT: root } as unknown as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  child = started;
  let output = "";
  started.stdout!.on("data", (chunk: Buffer) => (output += chunk));
  started.stderr!.on("data", (chunk: Buffer) => (output += chunk));
  return {
    child: started,
    output: () => output,
    exited: new Promise((resolve) => started.on("exit", (code: number | null) => resolve(code))),
  };
}

/** The names the room's file holds. */
const savedNames = (workbook: FixtureWorkbook) =>
  (JSON.parse(workbook.read(".workbook/room-state.json")) as { learners: { name: string }[] }).learners.map(
    (learner) => learner.name,
  );

/** Joins the room as a learner's `npm start -- --room <url> --name <name>` does. */
const join = (joinUrl: string, name: string) =>
  fetch(joinUrl, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name }) });

describe("npm run room", () => {
  it("prints a join link and the dashboard's address, and keeps the room in a file when stopped", async () => {
    workbook = createFixtureWorkbook(undefined, { git: false });
    const port = await freePort();
    const room = startRoom(["--port", String(port)], workbook.root);
    await expect.poll(room.output, { timeout: 20_000 }).toMatch(/key=/);
    const host = lanAddress() ?? "localhost";
    const joinUrl = new RegExp(
      `npm start -- --room (http://${host.replace(/\./g, "\\.")}:${port}/join/[A-Za-z0-9_-]+) --name "Your Name"`,
    ).exec(room.output())?.[1];
    const dashboard = new RegExp(`  (http://${host.replace(/\./g, "\\.")}:${port}/\\?key=[A-Za-z0-9_-]+)`).exec(
      room.output(),
    )?.[1];
    expect(joinUrl).toBeDefined();
    expect((await fetch(dashboard!)).status).toBe(200);
    expect((await join(joinUrl!, "Ana")).status).toBe(201);
    room.child.kill("SIGTERM");
    expect(await room.exited).toBe(0);
    expect(savedNames(workbook)).toEqual(["Ana"]);
  }, 30_000);

  // npm passes SIGTERM to the shell it runs the script in, and sh would not pass it on: the room
  // stops when that shell goes (solutions/scripts/signals.ts), or killing npm's pid would leave it
  // serving, its state unsaved. Ctrl-C and a closed terminal signal the whole job at once.
  it.each([
    ["SIGTERM", "npm alone, as a process manager or kill <pid> does"],
    ["SIGINT", "the whole job, as Ctrl-C in its terminal does"],
    ["SIGHUP", "the whole job, as closing its terminal does"],
  ] as const)(
    "stops on %s to %s, and keeps the room in a file",
    async (signal, to) => {
      workbook = createFixtureWorkbook(undefined, { git: false });
      const port = await freePort();
      const room = startRoom(["--port", String(port)], workbook.root, "npm");
      await expect.poll(room.output, { timeout: 20_000 }).toMatch(/key=/);
      const joinUrl = /--room (\S+)/.exec(room.output())?.[1];
      expect((await join(joinUrl!, "Ana")).status).toBe(201);
      if (to.startsWith("npm alone")) room.child.kill(signal);
      else process.kill(-room.child.pid!, signal);
      await room.exited;
      await expect.poll(() => portIsFree(port), { timeout: 10_000 }).toBe(true);
      expect(savedNames(workbook)).toEqual(["Ana"]);
    },
    30_000,
  );

  it("stops on Ctrl+C (SIGINT) and keeps the room in a file", async () => {
    workbook = createFixtureWorkbook(undefined, { git: false });
    const room = startRoom(["--port", String(await freePort())], workbook.root);
    await expect.poll(room.output, { timeout: 20_000 }).toMatch(/key=/);
    expect((await join(/--room (\S+)/.exec(room.output())![1]!, "Ana")).status).toBe(201);
    room.child.kill("SIGINT");
    expect(await room.exited).toBe(0);
    expect(savedNames(workbook)).toEqual(["Ana"]);
  }, 30_000);

  it("keeps the last whole file when killed between two writes, and starts from it", async () => {
    workbook = createFixtureWorkbook(undefined, { git: false });
    const port = await freePort();
    const first = startRoom(["--port", String(port)], workbook.root);
    await expect.poll(first.output, { timeout: 20_000 }).toMatch(/key=/);
    const joinUrl = /--room (\S+)/.exec(first.output())![1]!;
    expect((await join(joinUrl, "Ana")).status).toBe(201);
    await expect.poll(() => savedNames(workbook!), { timeout: 5_000 }).toEqual(["Ana"]);
    first.child.kill("SIGKILL");
    await first.exited;

    const again = startRoom(["--port", String(port)], workbook.root);
    await expect.poll(again.output, { timeout: 20_000 }).toMatch(/key=/);
    expect(again.output()).toContain("(1 learners kept from before)");
    expect(/--room (\S+)/.exec(again.output())![1]).toBe(joinUrl);
    expect(readdirSync(workbook.path(".workbook")).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  }, 40_000);

  it("refuses a second room in the same folder with one line, and the first room loses no one", async () => {
    workbook = createFixtureWorkbook(undefined, { git: false });
    const port = await freePort();
    const first = startRoom(["--port", String(port)], workbook.root);
    await expect.poll(first.output, { timeout: 20_000 }).toMatch(/key=/);
    const joinUrl = /--room (\S+)/.exec(first.output())![1]!;
    expect((await join(joinUrl, "Ana")).status).toBe(201);

    const second = startRoom(["--port", String(await freePort())], workbook.root);
    expect(await second.exited).toBe(2);
    expect(second.output()).toMatch(
      new RegExp(
        `^Another room \\(port ${port}, process ${first.child.pid}\\) is open on .*room-state\\.json: ` +
          "one folder holds one room\\. .*\n$",
      ),
    );
    expect((await join(joinUrl, "Ben")).status).toBe(201);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(savedNames(workbook)).toEqual(["Ana", "Ben"]);
  }, 40_000);

  it.each([
    [
      ["--port", "http"],
      /--port takes a whole number from 1 to 65535, got "http"\. Example: npm run room -- --port 4321/,
    ],
    [["--port", "70000"], /--port takes a whole number from 1 to 65535/],
    [["--max-learners", "0"], /--max-learners takes a whole number from 1 to 10000/],
    [["--color"], /Unknown option '--color'.*Usage: npm run room -- \[--port 4321\]/],
  ])(
    "refuses %j with one line and exit code 2",
    async (args, message) => {
      workbook = createFixtureWorkbook(undefined, { git: false });
      const room = startRoom(args, workbook.root);
      expect(await room.exited).toBe(2);
      expect(room.output()).toMatch(message);
      expect(room.output().trim().split("\n")).toHaveLength(1);
      expect(existsSync(workbook.path(".workbook"))).toBe(false);
    },
    30_000,
  );

  it("refuses to open a room for a folder with no lessons", async () => {
    workbook = createFixtureWorkbook([], { git: false });
    const room = startRoom([], workbook.root);
    expect(await room.exited).toBe(2);
    expect(room.output()).toBe(
      "No lessons found in lessons/, so there is nothing to show. Run npm run room from the workbook's folder.\n",
    );
  }, 30_000);

  it("says which port to try when its port is taken", async () => {
    workbook = createFixtureWorkbook(undefined, { git: false });
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const room = startRoom(["--port", String(port)], workbook.root);
      expect(await room.exited).toBe(2);
      expect(room.output()).toContain(`Port ${port} is already in use: run npm run room -- --port ${port + 1}`);
    } finally {
      taken.close();
    }
  }, 30_000);
});

/** The room's join code and trainer's key, as npm run room printed them. */
function printed(output: string): { code: string; key: string } {
  return { code: /\/join\/([A-Za-z0-9_-]+)/.exec(output)![1]!, key: /\?key=([A-Za-z0-9_-]+)/.exec(output)![1]! };
}

/** `count` connections from `localAddress` that never send a byte; `closed()` counts those the room closed. */
async function silentConnections(port: number, localAddress: string, count: number) {
  const sockets: Socket[] = [];
  let closed = 0;
  for (let started = 0; started < count; started += 100) {
    const batch = Array.from({ length: Math.min(100, count - started) }, () => {
      const socket = connect({ host: "127.0.0.1", port, localAddress });
      sockets.push(socket);
      socket.on("error", () => {});
      socket.on("close", () => closed++);
      return new Promise((resolve) => {
        socket.once("connect", resolve);
        socket.once("close", resolve);
      });
    });
    await Promise.all(batch);
  }
  return {
    closed: () => closed,
    destroy: () => {
      for (const socket of sockets) socket.destroy();
    },
  };
}

describe("npm run room on a hostile network", () => {
  it("serves a learner and the dashboard through 3,000 silent connections from one address", async () => {
    workbook = createFixtureWorkbook(undefined, { git: false });
    const port = await freePort();
    const room = startRoom(["--port", String(port)], workbook.root, "npm");
    await expect.poll(room.output, { timeout: 20_000 }).toMatch(/key=/);
    const { code, key } = printed(room.output());
    const origin = `http://127.0.0.1:${port}`;
    const siege = await silentConnections(port, "127.0.0.2", 3_000);
    try {
      const joined = await requestFrom("127.0.0.1", `${origin}/join/${code}`, {
        method: "POST",
        body: JSON.stringify({ name: "Ana" }),
      });
      expect(joined.status).toBe(201);
      expect((await requestFrom("127.0.0.1", `${origin}/`)).status).toBe(200);
      const json = await requestFrom("127.0.0.1", `${origin}/room.json?key=${key}`);
      expect(json.body).toMatchObject({ learners: [{ name: "Ana" }] });
      await expect.poll(siege.closed, { timeout: 35_000, interval: 500 }).toBe(3_000);
    } finally {
      siege.destroy();
    }
  }, 90_000);

  it("turns a join flood from one address away, and the trainer closes joining and removes a learner", async () => {
    workbook = createFixtureWorkbook(undefined, { git: false });
    const port = await freePort();
    const room = startRoom(["--port", String(port)], workbook.root, "npm");
    await expect.poll(room.output, { timeout: 20_000 }).toMatch(/key=/);
    const { code, key } = printed(room.output());
    const origin = `http://127.0.0.1:${port}`;
    const joinFrom = (address: string, name: string) =>
      requestFrom(address, `${origin}/join/${code}`, { method: "POST", body: JSON.stringify({ name }) });

    // All at once: past the address's connection limit, the room closes the connection unanswered.
    const flood = await Promise.allSettled(Array.from({ length: 470 }, (_, i) => joinFrom("127.0.0.2", `Bot ${i}`)));
    const answers = flood.map((result) => (result.status === "fulfilled" ? result.value.status : "closed"));
    const admitted = flood.flatMap((result) =>
      result.status === "fulfilled" && result.value.status === 201 ? [result.value] : [],
    );
    expect(admitted).toHaveLength(20);
    expect(answers.filter((answer) => ![201, 429, "closed"].includes(answer))).toEqual([]);
    expect((await joinFrom("127.0.0.1", "Ana")).status).toBe(201);

    const trainer = (method: string, route: string, body?: unknown) =>
      requestFrom("127.0.0.1", `${origin}${route}?key=${key}`, {
        method,
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    expect((await trainer("PUT", "/joining", { open: false })).status).toBe(204);
    expect(await joinFrom("127.0.0.3", "Ben")).toMatchObject({
      status: 403,
      body: { error: expect.stringMatching(/^The trainer has closed joining/) },
    });
    const bot = admitted[0]!.body as { id: string };
    expect((await trainer("DELETE", `/learners/${bot.id}`)).status).toBe(204);
    const names = ((await trainer("GET", "/room.json")).body as { learners: { name: string }[] }).learners.map(
      (learner) => learner.name,
    );
    expect(names).toHaveLength(20);
    expect(names).toContain("Ana");
  }, 60_000);
});

describe("lanAddress", () => {
  it("picks the first external IPv4 address, else none", () => {
    const lo = { address: "127.0.0.1", family: "IPv4", internal: true } as const;
    const v6 = { address: "fe80::1", family: "IPv6", internal: false } as const;
    const lan = { address: "192.168.1.20", family: "IPv4", internal: false } as const;
    const base = { netmask: "", mac: "", cidr: null };
    expect(
      lanAddress({
        lo: [{ ...base, ...lo }],
        eth0: [
          { ...base, ...v6, scopeid: 0 },
          { ...base, ...lan },
        ],
      }),
    ).toBe("192.168.1.20");
    expect(lanAddress({ lo: [{ ...base, ...lo }] })).toBeUndefined();
  });
});
