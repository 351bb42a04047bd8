import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTsx } from "@/testing/run-script";
import { INSTALL_HINTS } from "./local-services";

// What `npm run services` and `npm run test:scale` say on a machine that lacks redis-server:
// PATH holds only node, so no redis-server, apt-get or sudo can be found, and nothing installs.
// (The services themselves are started by `npm run test:scale`, never by `npm test`.)

let bin: string;
beforeAll(() => {
  bin = mkdtempSync(path.join(tmpdir(), "workbook-no-redis-"));
  symlinkSync(process.execPath, path.join(bin, "node"));
});
afterAll(() => rmSync(bin, { recursive: true, force: true }));

const withoutRedis = (script: string, args: string[], env: Record<string, string> = {}) =>
  runTsx(script, args, { env: { PATH: bin, ...env } });

describe("without redis-server", { timeout: 60_000 }, () => {
  it("npm run test:scale says in one line what is missing and how to install it, and skips", async () => {
    const result = await withoutRedis("solutions/scale/run.ts", []);
    expect(result.stderr).toMatch(
      new RegExp(`^Scale-out suite skipped: missing redis-server \\(${escapeRegExp(INSTALL_HINTS["redis-server"])}\\)`),
    );
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.code).toBe(0);
  });

  it("with WORKBOOK_REQUIRE_SERVICES=1 (as in CI) the same is a failure", async () => {
    const result = await withoutRedis("solutions/scale/run.ts", [], { WORKBOOK_REQUIRE_SERVICES: "1" });
    expect(result.stderr).toMatch(
      /^✗ Scale-out suite cannot run: missing redis-server \(Debian\/Ubuntu: sudo apt-get install -y redis-server/,
    );
    expect(result.code).toBe(1);
  });

  it("npm run services start fails with the install command, starting nothing", async () => {
    const result = await withoutRedis("solutions/scripts/services.ts", ["start"]);
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr).toContain(`✗ Missing redis-server (${INSTALL_HINTS["redis-server"]})`);
  });
});

describe("npm run services", () => {
  it.each([[[]], [["restart"]]])("with %j prints its usage and exits 2", async (args) => {
    expect(await runTsx("solutions/scripts/services.ts", args)).toEqual({
      code: 2,
      stdout: "",
      stderr: "Usage: npm run services start|stop|status\n",
    });
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
