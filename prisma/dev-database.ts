import { existsSync, rmSync } from "node:fs";
import Database from "better-sqlite3";
import { databaseFile } from "@/lib/database-url";
import { applyMigrations } from "./migrate";
import { seed } from "./seed";

// Shared by `npm install` (set-up) and `npm run db:reset`.

export function databaseExists(file = databaseFile()): boolean {
  return existsSync(file);
}

/** Number of users in the database, or 0 when it has no users table yet. */
export function countUsers(file = databaseFile()): number {
  if (!databaseExists(file)) return 0;
  const db = new Database(file, { readonly: true });
  try {
    const table = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'User'`).get();
    return table ? (db.prepare(`SELECT COUNT(*) AS n FROM "User"`).get() as { n: number }).n : 0;
  } finally {
    db.close();
  }
}

export function deleteDatabase(file = databaseFile()): void {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(file + suffix, { force: true });
}

/** Migrates (creating the file if needed) and seeds; returns what it did, for the caller to print. */
export async function migrateAndSeed(file = databaseFile()): Promise<{ migrations: string[]; seeded: number }> {
  const migrations = applyMigrations(file);
  const { createPrismaClient } = await import("@/lib/prisma");
  const client = createPrismaClient(file);
  try {
    return { migrations, seeded: await seed(client) };
  } finally {
    await client.$disconnect();
  }
}
