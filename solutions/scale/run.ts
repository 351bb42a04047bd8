import { spawn } from "node:child_process";
import path from "node:path";
import {
  DEFAULT_SERVICES,
  flushRedisDb,
  installRedis,
  missingServices,
  PROJECT_ROOT,
  redisUrl,
  servicesStatus,
  startServices,
  stopPostgres,
  stopRedis,
} from "../scripts/local-services";

// `npm run test:scale`: starts PostgreSQL and Redis unless they already run, runs the scale-out
// suite (vitest.scale.config.ts) against them, and stops what it started, whatever happens.
// Without redis-server or PostgreSQL it says in one line what is missing and how to install it:
// a skip, unless WORKBOOK_REQUIRE_SERVICES=1 (as in CI), which makes it a failure.

const REDIS_DB = 1;
const required = process.env.WORKBOOK_REQUIRE_SERVICES === "1";

const missing = missingServices().filter((m) => m.name !== "redis-server" || !installRedis(console.error));
if (missing.length > 0) {
  const what = missing.map((m) => `${m.name} (${m.install})`).join("; ");
  console.error(`${required ? "✗ Scale-out suite cannot run" : "Scale-out suite skipped"}: missing ${what}.`);
  process.exit(required ? 1 : 0);
}

const before = await servicesStatus();
let stopping: Promise<void> | undefined;
function stopWhatWeStarted(): Promise<void> {
  stopping ??= (async () => {
    const results = await Promise.allSettled([
      before.postgres ? null : stopPostgres(DEFAULT_SERVICES),
      before.redis ? null : stopRedis(DEFAULT_SERVICES),
    ]);
    for (const result of results) if (result.status === "rejected") console.error(`✗ ${result.reason?.message}`);
  })();
  return stopping;
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void stopWhatWeStarted().then(() => process.exit(130)));
}

let code = 1;
try {
  const state = await startServices(DEFAULT_SERVICES, console.error);
  console.error(
    `PostgreSQL ${state.postgres} on port ${DEFAULT_SERVICES.postgresPort}, ` +
      `Redis ${state.redis} on port ${DEFAULT_SERVICES.redisPort}`,
  );
  // The suite's own Redis database, emptied so that no window or message of an earlier run counts.
  await flushRedisDb(DEFAULT_SERVICES.redisPort, REDIS_DB);
  code = await new Promise<number>((resolve, reject) => {
    const vitest = path.join(PROJECT_ROOT, "node_modules", "vitest", "vitest.mjs");
    const child = spawn(
      process.execPath,
      [vitest, "run", "--config", "vitest.scale.config.ts", ...process.argv.slice(2)],
      {
        cwd: PROJECT_ROOT,
        stdio: "inherit",
        env: {
          ...process.env,
          NEXT_TELEMETRY_DISABLED: "1",
          WORKBOOK_SCALE_POSTGRES_PORT: String(DEFAULT_SERVICES.postgresPort),
          WORKBOOK_SCALE_REDIS_URL: redisUrl(DEFAULT_SERVICES.redisPort, REDIS_DB),
        },
      },
    );
    child.on("error", reject);
    child.on("exit", (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
  });
} catch (error) {
  console.error(`✗ ${(error as Error).message}`);
} finally {
  await stopWhatWeStarted();
}
process.exit(code);
