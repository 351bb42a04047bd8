import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, it, vi } from "vitest";
import { redisAnswers } from "@/scripts/local-services";
import { Redis } from "ioredis";
import { describeWithRedis, redisServerForFile, startProxy, startRedisServer } from "@/testing/redis-server";

// The throwaway server must never outlive the tests that started it, even when their process
// is killed outright (a time limit, a crashed worker), which runs no afterAll and no exit handler.

describeWithRedis("startRedisServer", () => {
  it("answers PING, and is gone with its folder after stop()", async () => {
    const server = await startRedisServer();
    expect(await redisAnswers(server.port)).toBe(true);
    await server.stop();
    expect(await redisAnswers(server.port)).toBe(false);
    expect(existsSync(server.dir)).toBe(false);
  });

  it("stops the server and deletes its folder when the process that started it is killed", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "workbook-redis-owner-"));
    const script = path.join(dir, "owner.mts");
    const helper = path.join(import.meta.dirname, "redis-server.ts");
    writeFileSync(
      script,
      `import { startRedisServer } from ${JSON.stringify(helper)};\n` +
        "const server = await startRedisServer();\n" +
        "console.log(JSON.stringify({ port: server.port, dir: server.dir }));\n" +
        "setInterval(() => {}, 1000);\n",
    );
    const owner = spawn(process.execPath, ["--import", "tsx", script], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const { port, dir: serverDir } = await new Promise<{ port: number; dir: string }>((resolve, reject) => {
        owner.stdout.once("data", (data) => resolve(JSON.parse(String(data))));
        owner.once("exit", () => reject(new Error("the owner process exited before starting its server")));
      });
      expect(await redisAnswers(port)).toBe(true);
      owner.kill("SIGKILL");
      await vi.waitFor(
        async () => expect(await redisAnswers(port, 100), "the server must stop with its owner").toBe(false),
        {
          timeout: 5_000,
          interval: 200,
        },
      );
      await vi.waitFor(() => expect(existsSync(serverDir), "and its folder must go").toBe(false), { timeout: 2_000 });
    } finally {
      owner.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);
});

const fileServer = redisServerForFile();

describeWithRedis("redisServerForFile", () => {
  it("starts one server for the file, however many tests ask", async () => {
    const [first, second] = await Promise.all([fileServer(), fileServer()]);
    expect(second).toBe(first);
    expect(await redisAnswers(first.port)).toBe(true);
  });
});

describeWithRedis("startProxy", () => {
  async function throughProxy() {
    const server = await fileServer();
    const link = await startProxy(server.port);
    const client = new Redis(link.url, { maxRetriesPerRequest: 0, commandTimeout: 300, retryStrategy: () => null });
    return { link, client };
  }

  it.each([
    ["cut", "Redis has stopped: the command fails", (link: Awaited<ReturnType<typeof startProxy>>) => link.cut()],
    ["hang", "Redis hangs: the command times out", (link: Awaited<ReturnType<typeof startProxy>>) => link.hang()],
  ])("%s: %s", async (_, __, outage) => {
    const { link, client } = await throughProxy();
    try {
      expect(await client.ping()).toBe("PONG");
      await outage(link);
      await expect(client.ping()).rejects.toThrow();
    } finally {
      client.disconnect();
      await link.stop();
    }
  });

  it("slow: what the client sends reaches Redis that much later, in order", async () => {
    const { link, client } = await throughProxy();
    try {
      await client.ping();
      link.slow(150);
      const started = Date.now();
      const replies = await Promise.all([client.set("slow:key", "1"), client.incr("slow:key"), client.get("slow:key")]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect(replies).toEqual(["OK", 2, "2"]);
    } finally {
      client.disconnect();
      await link.stop();
    }
  });
});
