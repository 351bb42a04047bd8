import { createHash, randomUUID } from "node:crypto";
import { copyFileSync, existsSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { MIGRATIONS_DIR, applyMigrations, listMigrations } from "../../prisma/migrate";

// Every test file gets a SQLite database of its own, as `prisma migrate deploy` would leave a new
// one. Migrating takes tens of milliseconds, which every test file paid, whether or not its tests
// touch the database; copying a database migrated once takes a fraction of one. The migrated
// template is kept in the temporary folder under a name made from the migrations themselves, so
// a changed or added migration is never served from an older template.

/** Creates `file` as a freshly migrated database (the migrations in `dir`). */
export function createTestDatabase(file: string, dir = MIGRATIONS_DIR): void {
  copyFileSync(migratedTemplate(dir), file);
}

/** The template for the migrations in `dir`: made once, then reused by every test file and run. */
export function migratedTemplate(dir = MIGRATIONS_DIR): string {
  const migrations = listMigrations(dir);
  const key = createHash("sha256")
    .update(JSON.stringify(migrations.map(({ name, checksum }) => [name, checksum])))
    .digest("hex")
    .slice(0, 16);
  const template = path.join(tmpdir(), `workbook-test-template-${key}.db`);
  if (existsSync(template)) return template;
  // Built aside and renamed into place, so a test file starting meanwhile never copies half of one.
  const building = `${template}.${randomUUID()}`;
  try {
    applyMigrations(building, dir);
    renameSync(building, template);
  } catch (error) {
    // Another test file may have renamed its own template into place first (Windows refuses to
    // rename over it): that one is as good.
    if (!existsSync(template)) throw error;
  } finally {
    for (const suffix of ["", "-wal", "-shm"]) rmSync(building + suffix, { force: true });
  }
  return template;
}
