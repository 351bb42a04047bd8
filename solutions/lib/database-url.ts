import path from "node:path";

// One place that turns DATABASE_URL into a file path, so the app, the set-up scripts and the
// tests always agree on which SQLite file they mean. Relative paths are relative to the
// directory npm runs scripts from: the project root.
export const DEFAULT_DATABASE_URL = "file:./prisma/dev.db";

export function databaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL;
}

export function databaseFile(url = databaseUrl()): string {
  if (!url.startsWith("file:")) {
    throw new Error(`DATABASE_URL must be a SQLite "file:" URL, got "${url.split(":")[0]}:…"`);
  }
  const file = url.slice("file:".length).replace(/\?.*$/, "");
  return file === ":memory:" ? file : path.resolve(file);
}
