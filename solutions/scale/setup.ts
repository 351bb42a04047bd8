import { randomUUID } from "node:crypto";
import { afterAll } from "vitest";
import { applyPostgresMigrations } from "../../prisma/migrate";
import { ensureDatabase, postgresUrl } from "../scripts/local-services";

// Runs before every file of the scale-out suite: each file gets a fresh PostgreSQL database of
// its own on the suite's server, migrated as `npm run services start` migrates the real one,
// and dropped afterwards. The suite's runner (solutions/scale/run.ts) started the server.

const port = Number(process.env.WORKBOOK_SCALE_POSTGRES_PORT);
if (!port) throw new Error("The scale-out suite runs through `npm run test:scale`, which starts its services.");

const database = `scale_${randomUUID().slice(0, 8)}`;
await ensureDatabase(port, database, { recreate: true });
await applyPostgresMigrations(postgresUrl(port, database));

process.env.DATABASE_URL = postgresUrl(port, database);
// The in-process tests count and cache in memory; the instances are the ones that share Redis.
delete process.env.REDIS_URL;
process.env.LOG_LEVEL ??= "silent";
process.env.RATE_LIMIT_MAX ??= "100000";

afterAll(async () => {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: postgresUrl(port, "postgres") });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
});
