import { z } from "zod";

// Every setting the API reads from the environment, parsed once and checked, so a typo in a
// deployment fails loudly at start-up instead of silently falling back.

export const DEV_AUTH_SECRET = "development-only-secret-change-me-0123456789";

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const configSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  AUTH_SECRET: z.string().min(32, "AUTH_SECRET must be at least 32 characters").optional(),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  RATE_LIMIT_MAX: positiveInt(100),
  RATE_LIMIT_WINDOW_MS: positiveInt(60_000),
  RATE_LIMIT_MAX_KEYS: positiveInt(10_000),
  CACHE_TTL_MS: positiveInt(30_000),
  CACHE_MAX_ENTRIES: positiveInt(1_000),
  BODY_LIMIT_BYTES: positiveInt(64 * 1024),
  TRUST_PROXY: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
  // Unset: the rate limiter and the cache live in this process's memory (one instance). Set, the
  // limiter's windows live in Redis and the cache is checked against Redis, so several instances
  // behave as one. A URL the client cannot use fails here, at start-up.
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: "REDIS_URL must be a redis:// or rediss:// URL" }).optional(),
  // How long one Redis command may take before the API stops waiting and falls back: Redis
  // answers in well under a millisecond, so waiting longer only makes every request slower.
  REDIS_TIMEOUT_MS: positiveInt(200),
});

export type Config = z.infer<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid configuration: ${problems.join("; ")}`);
  }
  return parsed.data;
}

/**
 * The secret that signs tokens. Checked when first needed rather than at start-up, so that
 * `next build` can load the routes without one; a production server refuses the built-in
 * development secret, because everyone who has read this repository knows it.
 */
export function authSecret(cfg: Config = config()): string {
  if (cfg.AUTH_SECRET && cfg.AUTH_SECRET !== DEV_AUTH_SECRET) return cfg.AUTH_SECRET;
  if (cfg.NODE_ENV === "production") {
    throw new Error("AUTH_SECRET must be set to a secret of your own when NODE_ENV=production");
  }
  return DEV_AUTH_SECRET;
}

let cached: Config | undefined;

/** The process's configuration, read on first use. */
export function config(): Config {
  return (cached ??= loadConfig());
}
