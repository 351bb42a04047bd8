import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { applyPostgresMigrations } from "../../prisma/migrate";
import { buildIfStale, lockDistDir, startServer, type RunningServer } from "../e2e/server";
import { ensureDatabase, postgresUrl } from "../scripts/local-services";

// The scale-out suite's two instances: one build, served twice by `next start`, both on the same
// PostgreSQL database and the same Redis, as two machines behind a load balancer would be.

declare module "vitest" {
  export interface ProvidedContext {
    instances: string[];
    instanceDatabaseUrl: string;
    instanceAuthSecret: string;
    instanceRateLimit: number;
  }
}

const DIST_DIR = ".next-scale";
export const RATE_LIMIT = 100;

export default async function setup(project: TestProject) {
  const port = Number(process.env.WORKBOOK_SCALE_POSTGRES_PORT);
  const redisUrl = process.env.WORKBOOK_SCALE_REDIS_URL;
  if (!port || !redisUrl)
    throw new Error("The scale-out suite runs through `npm run test:scale`, which starts its services.");

  const databaseUrl = postgresUrl(port, "scale_instances");
  await ensureDatabase(port, "scale_instances", { recreate: true });
  await applyPostgresMigrations(databaseUrl);

  const secret = randomBytes(32).toString("base64url");
  const release = await lockDistDir(DIST_DIR, 300_000);
  let servers: RunningServer[] = [];
  try {
    const started = performance.now();
    const build = await buildIfStale(DIST_DIR);
    servers = await startInstances(instanceSettings(databaseUrl, redisUrl, secret));
    console.info(`scale: build ${build}, two instances ready after ${Math.round(performance.now() - started)} ms`);
  } catch (error) {
    release();
    throw error;
  }

  project.provide(
    "instances",
    servers.map((server) => server.url),
  );
  project.provide("instanceDatabaseUrl", databaseUrl);
  project.provide("instanceAuthSecret", secret);
  project.provide("instanceRateLimit", RATE_LIMIT);

  return async () => {
    await stopAll(servers);
    release();
    showLogs(servers);
  };
}

/** Both instances' settings: one database, one Redis, one secret, one build. */
function instanceSettings(databaseUrl: string, redisUrl: string, secret: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    AUTH_SECRET: secret,
    NEXT_DIST_DIR: DIST_DIR,
    // Warnings too: a Redis outage (and so a per-instance limit) must show in the run's output.
    LOG_LEVEL: "warn",
    // The suite proves what holds while Redis answers; a busy test machine must not turn a
    // slow answer into the fail-open path (tested on its own in solutions/lib).
    REDIS_TIMEOUT_MS: "2000",
    RATE_LIMIT_MAX: String(RATE_LIMIT),
    // Long enough that no window ends while a test runs.
    RATE_LIMIT_WINDOW_MS: "600000",
  };
}

/** Two instances of the build, each with its Redis connection open; stopped again if that fails. */
async function startInstances(settings: Record<string, string>): Promise<RunningServer[]> {
  const servers = await Promise.all([startServer(settings), startServer(settings)]);
  try {
    // An instance opens its Redis connection on its first request and counts on its own until
    // that connection is up (fail open, backing off for a second). The suite is about instances
    // that share Redis, so each opens its connection first and the back-off is waited out.
    await Promise.all(servers.map((server) => fetch(`${server.url}/api/health`).then((r) => r.arrayBuffer())));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
  } catch (error) {
    await stopAll(servers);
    throw error;
  }
  return servers;
}

async function stopAll(servers: readonly RunningServer[]): Promise<void> {
  await Promise.all(servers.map((server) => server.stop()));
}

/** The API's own log lines (JSON), not Next's start-up banner. */
function showLogs(servers: readonly RunningServer[]): void {
  servers.forEach((server, i) => {
    const lines = (server.stdout() + server.stderr()).split("\n").filter((line) => line.startsWith("{"));
    if (lines.length) console.warn(`scale: instance ${i + 1} logged:\n${lines.join("\n").slice(0, 4_000)}`);
  });
}
