import { createInterface } from "node:readline/promises";
import { databaseTarget } from "./dev-database";

// `npm run db:reset [--yes]`: recreate, migrate and seed the development database: the SQLite
// file, or with DATABASE_URL=postgresql://… every table of that PostgreSQL database.

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

const target = databaseTarget();
const name = target.name;
const yes = process.argv.includes("--yes") || process.argv.includes("-y");

try {
  const users = await target.countUsers();
  if (users > 0 && !yes && !(await confirm(`${name} holds ${users} user(s). Delete them and start over? [y/N] `))) {
    console.error(`Left ${name} untouched. To reset without asking: npm run db:reset -- --yes`);
    process.exit(1);
  }
  await target.drop();
  const { migrations, seeded } = await target.migrateAndSeed();
  console.log(`✓ ${name} recreated: ${migrations.length} migration(s) applied, ${seeded} seed user(s) added.`);
} catch (error) {
  console.error(`✗ ${(error as Error).message}`);
  process.exit(1);
}
