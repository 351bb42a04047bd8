import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyMigrations, listMigrations, MIGRATIONS_DIR } from "./migrate";

// Each test gets a new database file and its own copy of the migrations folder to edit.

let dir: string;
let file: string;
let migrations: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "workbook-migrate-"));
  file = path.join(dir, "test.db");
  migrations = path.join(dir, "migrations");
  cpSync(MIGRATIONS_DIR, migrations, { recursive: true });
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const committed = () => listMigrations(MIGRATIONS_DIR).map((migration) => migration.name);

function addMigration(name: string, sql: string): void {
  mkdirSync(path.join(migrations, name));
  writeFileSync(path.join(migrations, name, "migration.sql"), sql);
}

function query<T>(sql: string): T[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

type MigrationRow = {
  migration_name: string;
  checksum: string;
  finished_at: string | null;
  applied_steps_count: number;
  rolled_back_at: string | null;
};
const recorded = () => query<MigrationRow>(`SELECT * FROM "_prisma_migrations" ORDER BY migration_name`);
const tables = () =>
  query<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).map((t) => t.name);

describe("listMigrations", () => {
  it("lists Prisma's migration folders in name order, with the sha256 of each migration.sql", () => {
    addMigration("20991231000000_later", "SELECT 1;");
    addMigration("20000101000000_earlier", "SELECT 2;");
    const listed = listMigrations(migrations);
    expect(listed.map((m) => m.name)).toEqual(["20000101000000_earlier", ...committed(), "20991231000000_later"]);
    for (const migration of listed) {
      const sql = readFileSync(path.join(migrations, migration.name, "migration.sql"), "utf8");
      expect(migration).toEqual({
        name: migration.name,
        sql,
        checksum: createHash("sha256").update(sql).digest("hex"),
      });
    }
  });

  it("skips files and folders without a migration.sql, such as migration_lock.toml", () => {
    mkdirSync(path.join(migrations, "20991231000000_empty"));
    expect(listMigrations(migrations).map((m) => m.name)).toEqual(committed());
  });
});

describe("applyMigrations", () => {
  it("creates a new database file and applies every migration to it", () => {
    expect(applyMigrations(file, migrations)).toEqual(committed());
    expect(tables()).toEqual(expect.arrayContaining(["User", "_prisma_migrations"]));
  });

  it("records each migration in _prisma_migrations as Prisma does, with its sha256 checksum", () => {
    applyMigrations(file, migrations);
    expect(recorded()).toEqual(
      listMigrations(migrations).map((migration) => ({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        migration_name: migration.name,
        checksum: createHash("sha256").update(migration.sql).digest("hex"),
        finished_at: expect.any(String),
        started_at: expect.any(String),
        applied_steps_count: 1,
        logs: null,
        rolled_back_at: null,
      })),
    );
  });

  it("does nothing the second time: no migration re-run, no extra rows", () => {
    applyMigrations(file, migrations);
    const before = recorded();
    expect(applyMigrations(file, migrations)).toEqual([]);
    expect(recorded()).toEqual(before);
  });

  it("applies only the migrations added since the last run", () => {
    applyMigrations(file, migrations);
    addMigration("20991231000000_add_bio", `ALTER TABLE "User" ADD COLUMN "bio" TEXT;`);
    expect(applyMigrations(file, migrations)).toEqual(["20991231000000_add_bio"]);
    expect(query<{ name: string }>(`PRAGMA table_info("User")`).map((c) => c.name)).toContain("bio");
  });

  it("refuses, naming the migration and the fix, when an applied migration was edited", () => {
    applyMigrations(file, migrations);
    const [first] = committed();
    writeFileSync(
      path.join(migrations, first!, "migration.sql"),
      "-- edited\n" + readFileSync(path.join(migrations, first!, "migration.sql"), "utf8"),
    );
    expect(() => applyMigrations(file, migrations)).toThrow(
      `Migration ${first} was edited after it was applied; run \`npm run db:reset\`.`,
    );
  });

  it("leaves no trace of a migration that fails part-way, so it can be fixed and re-run", () => {
    applyMigrations(file, migrations);
    addMigration("20991231000000_broken", `CREATE TABLE "Half" ("id" INTEGER);\nTHIS IS NOT SQL;`);
    expect(() => applyMigrations(file, migrations)).toThrow(/syntax error/);
    expect(tables()).not.toContain("Half");
    expect(recorded().map((row) => row.migration_name)).toEqual(committed());
  });
});
