import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { databaseFile, databaseKind, databaseUrl, describePostgresUrl } from "@/lib/database-url";
import { applyMigrations, applyPostgresMigrations } from "./migrate";
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

/** A database named by its URL, SQLite or PostgreSQL, as set-up and `npm run db:reset` see it. */
export type DatabaseTarget = {
  /** How to name it to a person: a path, or a database and host (never a password). */
  name: string;
  exists(): Promise<boolean>;
  countUsers(): Promise<number>;
  /** Drops everything in it: the SQLite file, or every table in PostgreSQL's public schema. */
  drop(): Promise<void>;
  migrateAndSeed(): Promise<{ migrations: string[]; seeded: number }>;
};

export function databaseTarget(url = databaseUrl()): DatabaseTarget {
  if (databaseKind(url) === "sqlite") {
    const file = databaseFile(url);
    return {
      name: path.relative(process.cwd(), file),
      exists: async () => databaseExists(file),
      countUsers: async () => countUsers(file),
      drop: async () => deleteDatabase(file),
      migrateAndSeed: () => migrateAndSeed(file),
    };
  }
  return postgresTarget(url);
}

function postgresTarget(url: string): DatabaseTarget {
  async function withClient<T>(use: (client: import("pg").Client) => Promise<T>): Promise<T> {
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    try {
      await client.connect();
    } catch (error) {
      throw new Error(
        `Cannot reach the ${describePostgresUrl(url)} (${(error as { code?: string }).code ?? "no answer"}). ` +
          "Start it with `npm run services start`, or check DATABASE_URL.",
        { cause: error },
      );
    }
    try {
      return await use(client);
    } finally {
      await client.end();
    }
  }
  const hasUserTable = (client: import("pg").Client) =>
    client
      .query(`SELECT to_regclass('public."User"') IS NOT NULL AS present`)
      .then((r) => r.rows[0].present as boolean);

  return {
    name: describePostgresUrl(url),
    exists: () => withClient(hasUserTable),
    countUsers: () =>
      withClient(async (client) =>
        (await hasUserTable(client)) ? Number((await client.query(`SELECT COUNT(*) AS n FROM "User"`)).rows[0].n) : 0,
      ),
    drop: () =>
      withClient(async (client) => void (await client.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))),
    async migrateAndSeed() {
      const migrations = await applyPostgresMigrations(url);
      const { createPostgresClient } = await import("@/lib/prisma");
      const client = createPostgresClient(url, 1);
      try {
        return { migrations, seeded: await seed(client) };
      } finally {
        await client.$disconnect();
      }
    },
  };
}
