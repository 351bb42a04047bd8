import { afterEach, describe, expect, it, vi } from "vitest";
import { authSecret, DEV_AUTH_SECRET, loadConfig, type Config } from "@/lib/config";

const REAL_SECRET = "a-real-secret-of-at-least-32-characters-x";

describe("loadConfig", () => {
  it("has a safe default for every setting", () => {
    expect(loadConfig({})).toEqual({
      NODE_ENV: "development",
      LOG_LEVEL: "info",
      RATE_LIMIT_MAX: 100,
      RATE_LIMIT_WINDOW_MS: 60_000,
      RATE_LIMIT_MAX_KEYS: 10_000,
      CACHE_TTL_MS: 30_000,
      CACHE_MAX_ENTRIES: 1_000,
      BODY_LIMIT_BYTES: 64 * 1024,
      TRUST_PROXY: false,
      REDIS_TIMEOUT_MS: 200,
    });
    expect(loadConfig({}), "no REDIS_URL: everything stays in the process").not.toHaveProperty("REDIS_URL");
  });

  it("reads every setting from the environment, as numbers and booleans where they are", () => {
    const env = {
      NODE_ENV: "production",
      AUTH_SECRET: REAL_SECRET,
      LOG_LEVEL: "warn",
      RATE_LIMIT_MAX: "5",
      RATE_LIMIT_WINDOW_MS: "1000",
      RATE_LIMIT_MAX_KEYS: "50",
      CACHE_TTL_MS: "250",
      CACHE_MAX_ENTRIES: "10",
      BODY_LIMIT_BYTES: "2048",
      TRUST_PROXY: "true",
      REDIS_URL: "redis://127.0.0.1:6390/0",
      REDIS_TIMEOUT_MS: "50",
    };
    expect(loadConfig(env)).toEqual({
      ...env,
      RATE_LIMIT_MAX: 5,
      RATE_LIMIT_WINDOW_MS: 1000,
      RATE_LIMIT_MAX_KEYS: 50,
      CACHE_TTL_MS: 250,
      CACHE_MAX_ENTRIES: 10,
      BODY_LIMIT_BYTES: 2048,
      TRUST_PROXY: true,
      REDIS_TIMEOUT_MS: 50,
    });
  });

  it("ignores variables it does not know", () => {
    expect(loadConfig({ PATH: "/usr/bin", HOME: "/home/me" })).toEqual(loadConfig({}));
  });

  it.each([
    ["NODE_ENV", "staging"],
    ["LOG_LEVEL", "verbose"],
    ["RATE_LIMIT_MAX", "0"],
    ["RATE_LIMIT_MAX", "ten"],
    ["RATE_LIMIT_WINDOW_MS", "1.5"],
    ["RATE_LIMIT_MAX_KEYS", "-1"],
    ["CACHE_TTL_MS", "abc"],
    ["CACHE_MAX_ENTRIES", "0"],
    ["BODY_LIMIT_BYTES", "64kb"],
    ["TRUST_PROXY", "yes"],
    ["REDIS_URL", "http://127.0.0.1:6379"],
    ["REDIS_URL", "127.0.0.1:6379"],
    ["REDIS_URL", ""],
    ["REDIS_TIMEOUT_MS", "0"],
  ])("refuses %s=%s with an error that names the variable", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid configuration: ${name}: `));
  });

  it.each(["redis://127.0.0.1:6379", "rediss://user:secret@cache.example.com:6380/2"])(
    "accepts REDIS_URL=%s",
    (url) => {
      expect(loadConfig({ REDIS_URL: url }).REDIS_URL).toBe(url);
    },
  );

  it("reports every invalid variable at once", () => {
    expect(() => loadConfig({ LOG_LEVEL: "loud", RATE_LIMIT_MAX: "0" })).toThrow(/LOG_LEVEL: .*; RATE_LIMIT_MAX: /);
  });

  it("refuses an AUTH_SECRET shorter than 32 characters without repeating it", () => {
    const short = "s3cret-but-too-short";
    const error = (() => {
      try {
        loadConfig({ AUTH_SECRET: short });
      } catch (e) {
        return e as Error;
      }
      return expect.fail("expected loadConfig to throw");
    })();
    expect(error.message).toBe("Invalid configuration: AUTH_SECRET: AUTH_SECRET must be at least 32 characters");
    expect(error.message).not.toContain(short);
  });

  it("accepts an AUTH_SECRET of exactly 32 characters", () => {
    expect(loadConfig({ AUTH_SECRET: "x".repeat(32) }).AUTH_SECRET).toBe("x".repeat(32));
  });
});

describe("authSecret", () => {
  const settings = (env: Record<string, string>): Config => loadConfig(env);

  it.each(["development", "test", "production"])("returns a real AUTH_SECRET when NODE_ENV=%s", (NODE_ENV) => {
    expect(authSecret(settings({ NODE_ENV, AUTH_SECRET: REAL_SECRET }))).toBe(REAL_SECRET);
  });

  it.each(["development", "test"])(
    "falls back to the development secret when NODE_ENV=%s and none is set",
    (NODE_ENV) => {
      expect(authSecret(settings({ NODE_ENV }))).toBe(DEV_AUTH_SECRET);
    },
  );

  it.each([
    ["missing", {}],
    ["the published development secret", { AUTH_SECRET: DEV_AUTH_SECRET }],
  ])("refuses to run in production with AUTH_SECRET %s", (_, env) => {
    expect(() => authSecret(settings({ NODE_ENV: "production", ...env }))).toThrow(
      "AUTH_SECRET must be set to a secret of your own when NODE_ENV=production",
    );
  });
});

describe("config", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it("reads process.env once, on first use, and keeps that configuration", async () => {
    vi.resetModules();
    vi.stubEnv("RATE_LIMIT_MAX", "7");
    const { config } = await import("@/lib/config");
    const first = config();
    vi.stubEnv("RATE_LIMIT_MAX", "8");
    expect(first.RATE_LIMIT_MAX).toBe(7);
    expect(config()).toBe(first);
  });

  it("throws the invalid-configuration error when process.env holds a bad value", async () => {
    vi.resetModules();
    vi.stubEnv("LOG_LEVEL", "chatty");
    const { config } = await import("@/lib/config");
    expect(() => config()).toThrow("Invalid configuration: LOG_LEVEL: ");
  });

  it("checks the process's own configuration when authSecret is given none", async () => {
    vi.resetModules();
    vi.stubEnv("NODE_ENV", "production");
    vi.stubEnv("AUTH_SECRET", undefined);
    const { authSecret: processSecret } = await import("@/lib/config");
    expect(() => processSecret()).toThrow("AUTH_SECRET must be set to a secret of your own when NODE_ENV=production");
  });

  it("treats an empty AUTH_SECRET as a mistake, not as unset", async () => {
    vi.resetModules();
    vi.stubEnv("AUTH_SECRET", "");
    const { authSecret: processSecret } = await import("@/lib/config");
    expect(() => processSecret()).toThrow(
      "Invalid configuration: AUTH_SECRET: AUTH_SECRET must be at least 32 characters",
    );
  });
});
