import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PROJECT_ROOT, runCommand, runTsx } from "@/testing/run-script";
import { countUsers, migrateAndSeed } from "./dev-database";
import { listMigrations } from "./migrate";
import { SEED_USERS } from "./seed";

// `npm run db:reset` run from a terminal without a TTY (as in CI or a pipe), each test against a
// database file of its own.

let dir: string;
let file: string;
let name: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "workbook-reset-"));
  file = path.join(dir, "dev.db");
  name = path.relative(PROJECT_ROOT, file);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const reset = (args: string[] = []) => runTsx("prisma/reset.ts", args, { env: { DATABASE_URL: `file:${file}` } });
const recreated = () =>
  `✓ ${name} recreated: ${listMigrations().length} migration(s) applied, ${SEED_USERS.length} seed user(s) added.\n`;

async function databaseWithOwnUser(): Promise<void> {
  await migrateAndSeed(file);
  const db = new Database(file);
  db.prepare(
    `INSERT INTO "User" (name, email, updatedAt) VALUES ('Mine', 'mine@example.com', CURRENT_TIMESTAMP)`,
  ).run();
  db.close();
}

const hasOwnUser = () => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(`SELECT 1 FROM "User" WHERE email = 'mine@example.com'`).get() !== undefined;
  } finally {
    db.close();
  }
};

describe("npm run db:reset", { timeout: 60_000 }, () => {
  it("refuses to delete users without --yes when it cannot ask, and leaves the database untouched", async () => {
    await databaseWithOwnUser();
    expect(await reset()).toEqual({
      code: 1,
      stdout: "",
      stderr: `Left ${name} untouched. To reset without asking: npm run db:reset -- --yes\n`,
    });
    expect(countUsers(file)).toBe(SEED_USERS.length + 1);
    expect(hasOwnUser()).toBe(true);
  });

  it("with --yes recreates, migrates and seeds the database, dropping everything else", async () => {
    await databaseWithOwnUser();
    const result = await runCommand("npm", ["run", "-s", "db:reset", "--", "--yes"], {
      env: { DATABASE_URL: `file:${file}` },
    });
    expect(result).toEqual({ code: 0, stdout: recreated(), stderr: "" });
    expect(countUsers(file)).toBe(SEED_USERS.length);
    expect(hasOwnUser()).toBe(false);
  });

  it("accepts -y for --yes", async () => {
    await databaseWithOwnUser();
    expect((await reset(["-y"])).code).toBe(0);
    expect(hasOwnUser()).toBe(false);
  });

  it("creates a missing database without asking", async () => {
    expect(await reset()).toEqual({ code: 0, stdout: recreated(), stderr: "" });
    expect(countUsers(file)).toBe(SEED_USERS.length);
  });

  it("recreates a database that has no users without asking", async () => {
    new Database(file).close();
    expect((await reset()).code).toBe(0);
    expect(countUsers(file)).toBe(SEED_USERS.length);
  });
});
