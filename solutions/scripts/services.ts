import { databaseTarget } from "../../prisma/dev-database";
import { DEFAULT_SERVICES, servicesStatus, startServices, stopServices } from "./local-services";

// `npm run services start|stop|status`: local PostgreSQL and Redis for running the API scaled
// out. Messages go to stderr and the `export` lines to stdout, so that
// `eval "$(npm run -s services start)"` sets up the current shell.

const { postgresPort, redisPort } = DEFAULT_SERVICES;
const say = (line: string) => console.error(line);

async function start(): Promise<void> {
  const state = await startServices(DEFAULT_SERVICES, say);
  const target = databaseTarget(state.databaseUrl);
  const { migrations, seeded } = await target.migrateAndSeed();
  say(
    `✓ PostgreSQL ${state.postgres} on 127.0.0.1:${postgresPort}: ` +
      `${migrations.length} migration(s) applied, ${seeded} seed user(s) added`,
  );
  say(`✓ Redis ${state.redis} on 127.0.0.1:${redisPort}`);
  say('Point the API at them (or run: eval "$(npm run -s services start)"), then `npm run api`:');
  console.log(`export DATABASE_URL=${state.databaseUrl}`);
  console.log(`export REDIS_URL=${state.redisUrl}`);
}

async function stop(): Promise<void> {
  const { postgres, redis } = await stopServices();
  say(`✓ PostgreSQL on 127.0.0.1:${postgresPort}: ${postgres}`);
  say(`✓ Redis on 127.0.0.1:${redisPort}: ${redis}`);
  say("Unset them in your shell: unset DATABASE_URL REDIS_URL");
}

async function status(): Promise<void> {
  const { postgres, redis } = await servicesStatus();
  say(`PostgreSQL on 127.0.0.1:${postgresPort}: ${postgres ? "running" : "not running"}`);
  say(`Redis on 127.0.0.1:${redisPort}: ${redis ? "running" : "not running"}`);
  if (!postgres || !redis) say("Start them with: npm run services start");
  process.exitCode = postgres && redis ? 0 : 3;
}

const commands: Record<string, () => Promise<void>> = { start, stop, status };
const command = commands[process.argv[2] ?? ""];
if (!command) {
  say("Usage: npm run services start|stop|status");
  process.exit(2);
}
try {
  await command();
} catch (error) {
  say(`✗ ${(error as Error).message}`);
  process.exit(1);
}
