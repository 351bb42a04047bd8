import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { constantRate, saturatedThroughput } from "./pinned-load";

const GENERATOR = path.join(import.meta.dirname, "constant-rate.mjs");

// A server that freezes its event loop for 300 ms on its 20th request, then answers at once again:
// the shape of a GC pause or a slow synchronous call.
const STALLING_SERVER = `
const http = require("node:http");
let served = 0;
const server = http.createServer((request, response) => {
  served += 1;
  if (served === 20) { const until = Date.now() + 300; while (Date.now() < until); }
  response.writeHead(request.url === "/missing" ? 404 : 200, { "content-type": "text/plain" });
  response.end("ok");
});
server.listen(0, "127.0.0.1", () => console.log("http://127.0.0.1:" + server.address().port));
`;

let server: ChildProcess;
let origin: string;

beforeAll(async () => {
  server = spawn(process.execPath, ["-e", STALLING_SERVER], { stdio: ["ignore", "pipe", "inherit"] });
  origin = await new Promise<string>((resolve) =>
    server.stdout!.once("data", (chunk) => resolve(String(chunk).trim())),
  );
});
afterAll(() => server.kill());

describe("constant-rate.mjs", () => {
  it("charges every request due during a stall with its wait, as wrk2 does", async () => {
    // 100 requests a second for 1.5 s: about 30 fall due during the 300 ms stall. A closed-loop
    // generator on one connection would have sent one of them and counted one slow answer.
    const result = await constantRate({
      origin,
      paths: ["/"],
      rate: 100,
      durationSeconds: 1.5,
      warmupSeconds: 0,
      connections: 50,
    });
    expect(result).toMatchObject({ requests: 150, answered: 150, errors: 0, statuses: { "200": 150 } });
    expect(result.latencyMs.max).toBeGreaterThanOrEqual(250);
    // At least 20 of 150 waited 100 ms or more, so the slowest 10 % are all stall: p90 shows it.
    expect(result.latencyMs.p90).toBeGreaterThanOrEqual(100);
  });

  it("counts each status it got and rotates through the paths", async () => {
    const result = await constantRate({
      origin,
      paths: ["/", "/missing"],
      rate: 200,
      durationSeconds: 0.5,
      warmupSeconds: 0,
      connections: 10,
    });
    expect(result.statuses).toEqual({ "200": 50, "404": 50 });
  });

  it("runs closed-loop when asked to saturate, and reports the throughput", async () => {
    const result = await saturatedThroughput({
      origin,
      paths: ["/"],
      durationSeconds: 0.5,
      warmupSeconds: 0,
      connections: 4,
    });
    expect(result.errors).toBe(0);
    expect(result.requestsPerSecond).toBeGreaterThan(0);
  });

  it("counts a refused connection as an error, not as a latency", async () => {
    const result = await constantRate({
      origin: "http://127.0.0.1:1",
      paths: ["/"],
      rate: 50,
      durationSeconds: 0.2,
      warmupSeconds: 0,
      connections: 5,
    });
    expect(result).toMatchObject({ requests: 10, answered: 0, errors: 10 });
    expect(result.latencyMs.p99).toBeNull();
  });

  it.each([
    ["no options", []],
    [
      "no paths",
      [JSON.stringify({ origin: "http://127.0.0.1:1", paths: [], rate: 1, durationSeconds: 1, connections: 1 })],
    ],
    [
      "a rate of zero",
      [JSON.stringify({ origin: "http://127.0.0.1:1", paths: ["/"], rate: 0, durationSeconds: 1, connections: 1 })],
    ],
  ] as [string, string[]][])("refuses %s with its usage and exit code 2", (_, args) => {
    const run = spawnSync(process.execPath, [GENERATOR, ...args], { encoding: "utf8" });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^usage: node constant-rate\.mjs/);
  });
});
