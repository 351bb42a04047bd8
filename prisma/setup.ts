import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { databaseFile } from "@/lib/database-url";
import { databaseExists, migrateAndSeed } from "./dev-database";

// Runs after `npm install`: generate the Prisma client, write a local secret, and create,
// migrate and seed the development database. Nothing here needs the network.

const ENV_FILE = path.join("solutions", ".env.local");

function generateClient(): void {
  execFileSync(process.execPath, [path.join("node_modules", "prisma", "build", "index.js"), "generate"], {
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      // `prisma generate` insists that a schema engine exists but never runs it; any file will do.
      PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
      CHECKPOINT_DISABLE: "1",
      PRISMA_HIDE_UPDATE_MESSAGE: "1",
    },
  });
  console.log("✓ Prisma client generated (solutions/generated/prisma)");
}

function writeLocalSecret(): void {
  if (existsSync(ENV_FILE)) return;
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(ENV_FILE, `# Local secrets for \`npm run api\` and \`npm run token\`; git-ignored.\nAUTH_SECRET=${secret}\n`, {
    mode: 0o600,
  });
  console.log(`✓ ${ENV_FILE} written with a random AUTH_SECRET`);
}

async function prepareDatabase(): Promise<void> {
  const file = databaseFile();
  const existed = databaseExists(file);
  const { migrations, seeded } = await migrateAndSeed(file);
  const what = existed ? `${migrations.length} pending migration(s) applied` : "created, migrated";
  console.log(`✓ Database ${path.relative(process.cwd(), file)}: ${what}, ${seeded} seed user(s) added`);
}

generateClient();
writeLocalSecret();
await prepareDatabase();
