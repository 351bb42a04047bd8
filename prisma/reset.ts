import { createInterface } from "node:readline/promises";
import path from "node:path";
import { databaseFile } from "@/lib/database-url";
import { countUsers, deleteDatabase, migrateAndSeed } from "./dev-database";

// `npm run db:reset [--yes]`: recreate, migrate and seed the development database.

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

const file = databaseFile();
const name = path.relative(process.cwd(), file);
const users = countUsers(file);
const yes = process.argv.includes("--yes") || process.argv.includes("-y");

if (users > 0 && !yes && !(await confirm(`${name} holds ${users} user(s). Delete them and start over? [y/N] `))) {
  console.error(`Left ${name} untouched. To reset without asking: npm run db:reset -- --yes`);
  process.exit(1);
}
deleteDatabase(file);
const { migrations, seeded } = await migrateAndSeed(file);
console.log(`✓ ${name} recreated: ${migrations.length} migration(s) applied, ${seeded} seed user(s) added.`);
