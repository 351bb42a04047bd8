import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MIGRATIONS_DIR, applyMigrations } from "../../prisma/migrate";
import { createTestDatabase, migratedTemplate } from "./test-database";

// Each test gets a folder of its own, with a copy of the migrations to change.

let dir: string;
let migrations: string;
const made: string[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "workbook-test-database-"));
  migrations = path.join(dir, "migrations");
  cpSync(MIGRATIONS_DIR, migrations, { recursive: true });
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  // Templates of migrations only these tests made: nobody else will ever ask for them.
  for (const template of made.splice(0)) rmSync(template, { force: true });
});

function rows<T>(file: string, sql: string): T[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

const schema = (file: string) => rows<{ sql: string }>(file, "SELECT sql FROM sqlite_master ORDER BY name");
const migrationNames = (file: string) =>
  rows<{ migration_name: string }>(file, 'SELECT migration_name FROM "_prisma_migrations" ORDER BY migration_name');

function addMigration(name: string, sql: string): void {
  mkdirSync(path.join(migrations, name));
  writeFileSync(path.join(migrations, name, "migration.sql"), sql);
}

describe("a test database", () => {
  it("is what applying every migration to a new file gives: the same tables and the same migrations recorded", () => {
    const copied = path.join(dir, "copied.db");
    const migrated = path.join(dir, "migrated.db");
    createTestDatabase(copied);
    applyMigrations(migrated);
    expect(schema(copied)).toEqual(schema(migrated));
    expect(migrationNames(copied)).toEqual(migrationNames(migrated));
  });

  it("is a database of its own: what one test file writes, no other test file's database holds", () => {
    const [first, second, later] = ["first.db", "second.db", "later.db"].map((name) => path.join(dir, name));
    createTestDatabase(first!);
    createTestDatabase(second!);
    const db = new Database(first!);
    db.prepare(`INSERT INTO "User" (name, email, updatedAt) VALUES ('Ada', 'ada@example.com', 0)`).run();
    db.close();
    createTestDatabase(later!);
    const count = (file: string) => rows<{ n: number }>(file, 'SELECT COUNT(*) AS n FROM "User"')[0]!.n;
    expect([first!, second!, later!].map(count)).toEqual([1, 0, 0]);
  });

  it("comes from a template made once for a set of migrations, and reused", () => {
    const template = migratedTemplate(migrations);
    made.push(template);
    const madeAt = statSync(template).mtimeMs;
    createTestDatabase(path.join(dir, "one.db"), migrations);
    expect(migratedTemplate(migrations)).toBe(template);
    expect(statSync(template).mtimeMs).toBe(madeAt);
  });

  it("never comes from an older template once a migration is added", () => {
    const before = migratedTemplate(migrations);
    addMigration("20990101000000_add_team", 'CREATE TABLE "Team" ("id" INTEGER PRIMARY KEY);');
    const after = migratedTemplate(migrations);
    made.push(after);
    expect(after).not.toBe(before);
    const file = path.join(dir, "with-team.db");
    createTestDatabase(file, migrations);
    expect(schema(file).some((table) => table.sql?.includes('"Team"'))).toBe(true);
  });
});
