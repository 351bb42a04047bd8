import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "@/lib/config";
import { PROJECT_ROOT, runTsx, type ScriptResult } from "@/testing/run-script";
import { countUsers } from "./dev-database";
import { SEED_USERS } from "./seed";

// The post-install set-up runs in a copy of the files it needs, so that it generates the Prisma
// client, writes solutions/.env.local and creates prisma/dev.db there and never in the checkout.

function copyProject(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "workbook-setup-"));
  for (const file of [
    "package.json",
    "tsconfig.json",
    "prisma.config.ts",
    "prisma/schema.prisma",
    "solutions/lib/database-url.ts",
    "solutions/lib/prisma.ts",
  ]) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    cpSync(path.join(PROJECT_ROOT, file), path.join(dir, file));
  }
  cpSync(path.join(PROJECT_ROOT, "prisma", "migrations"), path.join(dir, "prisma", "migrations"), { recursive: true });
  cpSync(path.join(PROJECT_ROOT, "prisma", "postgresql"), path.join(dir, "prisma", "postgresql"), { recursive: true });
  for (const script of readdirSync(path.join(PROJECT_ROOT, "prisma")).filter(
    (f) => f.endsWith(".ts") && !f.endsWith(".test.ts"),
  )) {
    cpSync(path.join(PROJECT_ROOT, "prisma", script), path.join(dir, "prisma", script));
  }
  symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(dir, "node_modules"), "junction");
  return dir;
}

const setup = (cwd: string) => runTsx("prisma/setup.ts", [], { cwd });
const envFile = (dir: string) => path.join(dir, "solutions", ".env.local");
const secretIn = (dir: string) => /^AUTH_SECRET=(.+)$/m.exec(readFileSync(envFile(dir), "utf8"))?.[1];

// One copy, set up twice: first as on a fresh clone, then again after the learner added data.
describe("prisma/setup.ts", { timeout: 60_000 }, () => {
  let dir: string;
  let first: ScriptResult;
  let firstSecret: string | undefined;
  let firstUsers: number;
  let second: ScriptResult;

  beforeAll(async () => {
    dir = copyProject();
    first = await setup(dir);
    firstSecret = secretIn(dir);
    firstUsers = countUsers(path.join(dir, "prisma", "dev.db"));
    const db = new Database(path.join(dir, "prisma", "dev.db"));
    db.prepare(
      `INSERT INTO "User" (name, email, updatedAt) VALUES ('Mine', 'mine@example.com', CURRENT_TIMESTAMP)`,
    ).run();
    db.close();
    second = await setup(dir);
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe("on a fresh checkout", () => {
    it("succeeds and reports each step on one line", () => {
      expect(first.code).toBe(0);
      expect(first.stdout).toBe(
        [
          "✓ Prisma client generated (solutions/generated/prisma)",
          "✓ Prisma client generated (solutions/generated/prisma-postgresql)",
          "✓ solutions/.env.local written with a random AUTH_SECRET",
          `✓ Database ${path.join("prisma", "dev.db")}: created, migrated, ${SEED_USERS.length} seed user(s) added`,
          "",
        ].join("\n"),
      );
    });

    it("generates the Prisma clients, for SQLite and for PostgreSQL", () => {
      expect(existsSync(path.join(dir, "solutions", "generated", "prisma", "client.ts"))).toBe(true);
      expect(existsSync(path.join(dir, "solutions", "generated", "prisma-postgresql", "client.ts"))).toBe(true);
    });

    it("writes a random AUTH_SECRET that the API accepts in production", () => {
      expect(firstSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(loadConfig({ NODE_ENV: "production", AUTH_SECRET: firstSecret }).AUTH_SECRET).toBe(firstSecret);
    });

    it.skipIf(process.platform === "win32")("makes the secret file readable by its owner only", () => {
      expect(statSync(envFile(dir)).mode & 0o777).toBe(0o600);
    });

    it("creates, migrates and seeds prisma/dev.db", () => {
      expect(firstUsers).toBe(SEED_USERS.length);
    });
  });

  describe("run again", () => {
    it("succeeds, applying and adding nothing", () => {
      expect(second.code).toBe(0);
      expect(second.stdout).toContain(
        `✓ Database ${path.join("prisma", "dev.db")}: 0 pending migration(s) applied, 0 seed user(s) added`,
      );
    });

    it("keeps the existing secret, so tokens already issued stay valid", () => {
      expect(second.stdout).not.toContain(".env.local written");
      expect(secretIn(dir)).toBe(firstSecret);
    });

    it("keeps the learner's data", () => {
      expect(countUsers(path.join(dir, "prisma", "dev.db"))).toBe(SEED_USERS.length + 1);
    });
  });
});
