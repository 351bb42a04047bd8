import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { databaseTarget } from "./dev-database";

// Runs after `npm install`: generate the Prisma client, write a local secret, and create,
// migrate and seed the development database. Nothing here needs the network.

const ENV_FILE = path.join("solutions", ".env.local");

// One client per database provider: SQLite (the default) and PostgreSQL (for scaling out).
const SCHEMAS = [
  { schema: path.join("prisma", "schema.prisma"), output: "solutions/generated/prisma" },
  { schema: path.join("prisma", "postgresql", "schema.prisma"), output: "solutions/generated/prisma-postgresql" },
];

function generateClient({ schema, output }: (typeof SCHEMAS)[number]): void {
  const prisma = path.join("node_modules", "prisma", "build", "index.js");
  execFileSync(process.execPath, [prisma, "generate", "--schema", schema], {
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      // `prisma generate` insists that a schema engine exists but never runs it; any file will do.
      PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
      CHECKPOINT_DISABLE: "1",
      PRISMA_HIDE_UPDATE_MESSAGE: "1",
    },
  });
  console.log(`✓ Prisma client generated (${output})`);
}

function writeLocalSecret(): void {
  if (existsSync(ENV_FILE)) return;
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(
    ENV_FILE,
    `# Local secrets for \`npm run api\` and \`npm run token\`; git-ignored.\nAUTH_SECRET=${secret}\n`,
    {
      mode: 0o600,
    },
  );
  console.log(`✓ ${ENV_FILE} written with a random AUTH_SECRET`);
}

async function prepareDatabase(): Promise<void> {
  const target = databaseTarget();
  const existed = await target.exists();
  const { migrations, seeded } = await target.migrateAndSeed();
  const what = existed ? `${migrations.length} pending migration(s) applied` : "created, migrated";
  console.log(`✓ Database ${target.name}: ${what}, ${seeded} seed user(s) added`);
}

for (const client of SCHEMAS) generateClient(client);
writeLocalSecret();
await prepareDatabase();
