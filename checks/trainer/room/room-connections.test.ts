import { type Socket, connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { addressGroup } from "./room-address.ts";
import { createRateLimit } from "./room-rate-limit.ts";
import { type TestRoom, openFeed, requestFrom, startTestRoom } from "./test-room.ts";

// A room on a hostile network: connections that send nothing, or a request head a byte at a
// time, or that pile up from one address, are closed, and everyone else is still served.

let room: TestRoom;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await room?.remove();
});

const limits = { headTimeoutMs: 300, keepAliveMs: 300, maxPerAddress: 5 };

/** A connection from `localAddress`; `closed` resolves with how long it stayed open (ms). */
async function openSocket(localAddress = "127.0.0.1"): Promise<{ socket: Socket; closed: Promise<number> }> {
  const { hostname, port } = new URL(room.origin);
  const socket = connect({ host: hostname, port: Number(port), localAddress });
  sockets.push(socket);
  const opened = performance.now();
  const closed = new Promise<number>((resolve) => socket.on("close", () => resolve(performance.now() - opened)));
  socket.on("error", () => {});
  socket.resume();
  await new Promise((resolve) => socket.once("connect", resolve));
  return { socket, closed };
}

const stillOpenAfter = (closed: Promise<number>, ms: number) =>
  Promise.race([closed.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), ms))]);

describe("the room's connections", () => {
  it("closes a connection that sends nothing", async () => {
    room = await startTestRoom({ server: { connections: limits } });
    const { closed } = await openSocket();
    expect(await closed).toBeLessThan(3_000);
  });

  it("closes a connection that sends a request head a line at a time and never finishes it", async () => {
    room = await startTestRoom({ server: { connections: limits } });
    const { socket, closed } = await openSocket();
    socket.write("GET / HTTP/1.1\r\nHost: room\r\n");
    const trickle = setInterval(() => socket.write("X-Still-Here: 1\r\n"), 50);
    try {
      expect(await closed).toBeLessThan(3_000);
    } finally {
      clearInterval(trickle);
    }
  });

  it("closes a keep-alive connection left idle after its answer", async () => {
    room = await startTestRoom({ server: { connections: limits } });
    const { socket, closed } = await openSocket();
    let answer = "";
    socket.on("data", (chunk) => (answer += chunk));
    socket.write("GET /dashboard.css HTTP/1.1\r\nHost: room\r\n\r\n");
    await expect.poll(() => answer).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(await closed).toBeLessThan(3_000);
  });

  it("keeps a connection whose request came in time: the dashboard's feed outlives the deadline", async () => {
    room = await startTestRoom({ server: { connections: limits } });
    const ana = await room.join("Ana");
    const feed = await openFeed(room);
    await feed.next("snapshot");
    await new Promise((resolve) => setTimeout(resolve, 3 * limits.headTimeoutMs));
    await room.sendStatus(ana, { lesson: "lesson-2" });
    const changes = await feed.next("changes", (data) => data.learners.some((learner) => learner.current === 1));
    expect(changes).toMatchObject({ learners: [{ name: "Ana", current: 1 }] });
    feed.close();
  });

  it("closes connections past the limit for one address at once, and serves another address meanwhile", async () => {
    room = await startTestRoom({ server: { connections: { ...limits, headTimeoutMs: 5_000 } } });
    const crowd = await Promise.all(Array.from({ length: 8 }, () => openSocket("127.0.0.2")));
    const open = await Promise.all(crowd.map(({ closed }) => stillOpenAfter(closed, 500)));
    expect(open.filter(Boolean)).toHaveLength(5);
    expect((await requestFrom("127.0.0.1", `${room.origin}/dashboard.css`)).status).toBe(200);
    expect((await room.join("Ana")).name).toBe("Ana");
    // Once the address's connections close, it is served again.
    for (const { socket } of crowd) socket.destroy();
    await expect.poll(async () => (await requestFrom("127.0.0.2", `${room.origin}/dashboard.css`)).status).toBe(200);
  });
});

describe("addressGroup", () => {
  it.each([
    ["127.0.0.1", "127.0.0.1"],
    ["::ffff:192.168.1.20", "192.168.1.20"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:db8:1:2::99", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["not an address", "unknown"],
    [undefined, "unknown"],
  ])("counts %j as %j", (address, group) => {
    expect(addressGroup(address)).toBe(group);
  });
});

describe("createRateLimit", () => {
  it("allows a burst, then one per interval, and says how long to wait", () => {
    let now = 0;
    const limit = createRateLimit({ burst: 3, perMinute: 6, now: () => now });
    expect([1, 2, 3, 4].map(() => limit.take("a"))).toEqual([0, 0, 0, 10_000]);
    expect(limit.take("b")).toBe(0);
    now = 4_000;
    expect(limit.take("a")).toBe(6_000);
    now = 10_000;
    expect([limit.take("a"), limit.take("a")]).toEqual([0, 10_000]);
  });

  it("forgets the address heard from longest ago past its bound", () => {
    const limit = createRateLimit({ burst: 1, perMinute: 1, maxAddresses: 2, now: () => 0 });
    expect([limit.take("a"), limit.take("b"), limit.take("c")]).toEqual([0, 0, 0]);
    // "a" was forgotten, so it starts with a full bucket; "c" was not.
    expect([limit.take("a"), limit.take("c")]).toEqual([0, 60_000]);
  });
});
