import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { countUsers, databaseExists, deleteDatabase, migrateAndSeed } from "./dev-database";
import { listMigrations } from "./migrate";
import { SEED_USERS } from "./seed";

let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "workbook-dev-db-"));
  file = path.join(dir, "dev.db");
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("migrateAndSeed", () => {
  it("creates, migrates and seeds a new database, and says what it did", async () => {
    expect(await migrateAndSeed(file)).toEqual({
      migrations: listMigrations().map((m) => m.name),
      seeded: SEED_USERS.length,
    });
    expect(countUsers(file)).toBe(SEED_USERS.length);
  });

  it("does nothing to a database that is already migrated and seeded", async () => {
    await migrateAndSeed(file);
    expect(await migrateAndSeed(file)).toEqual({ migrations: [], seeded: 0 });
  });
});

describe("countUsers", () => {
  it("is 0 when there is no database file, without creating one", () => {
    expect(countUsers(file)).toBe(0);
    expect(databaseExists(file)).toBe(false);
  });

  it("is 0 for a database that has no User table yet", () => {
    new Database(file).close();
    expect(countUsers(file)).toBe(0);
  });

  it("counts the users", async () => {
    await migrateAndSeed(file);
    expect(countUsers(file)).toBe(SEED_USERS.length);
  });
});

describe("deleteDatabase", () => {
  it("removes the file and SQLite's side files", () => {
    const files = ["", "-wal", "-shm", "-journal"].map((suffix) => file + suffix);
    for (const f of files) writeFileSync(f, "");
    deleteDatabase(file);
    expect(files.filter((f) => existsSync(f))).toEqual([]);
  });

  it("does not mind a database that is not there", () => {
    expect(() => deleteDatabase(file)).not.toThrow();
  });
});
