import { tmpdir } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll } from "vitest";
import { deleteDatabase } from "../../prisma/dev-database";
import { createTestDatabase } from "./test-database";

// Runs before every test file: each file gets its own fresh SQLite database, migrated from
// prisma/migrations exactly as the development database is (a copy of one migrated once, see
// test-database.ts), and deleted afterwards.

const file = path.join(tmpdir(), `workbook-test-${randomUUID()}.db`);
createTestDatabase(file);

process.env.DATABASE_URL = `file:${file}`;
// A shell set up for scaling out (`eval "$(npm run -s services start)"`) must not put the tests
// on the shared Redis: tests that want Redis start a server of their own.
delete process.env.REDIS_URL;
process.env.LOG_LEVEL ??= "silent";
process.env.RATE_LIMIT_MAX ??= "100000";

afterAll(() => deleteDatabase(file));
