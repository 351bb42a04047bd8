import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, it, vi } from "vitest";
import { redisAnswers } from "@/scripts/local-services";
import { describeWithRedis, startRedisServer } from "@/testing/redis-server";

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
