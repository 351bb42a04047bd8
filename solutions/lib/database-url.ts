import path from "node:path";

// One place that reads DATABASE_URL, so the app, the set-up scripts and the tests always agree
// on which database they mean. A "file:" URL is an embedded SQLite file (the default); relative
// paths are relative to the directory npm runs scripts from: the project root. A
// "postgresql://" (or "postgres://") URL is a PostgreSQL server, for running several instances.
export const DEFAULT_DATABASE_URL = "file:./prisma/dev.db";

export type DatabaseKind = "sqlite" | "postgresql";

export function databaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL;
}

// Only the scheme is ever quoted back: the rest of a URL may hold a password.
const scheme = (url: string) => `${url.split(":")[0]}:…`;

export function databaseKind(url = databaseUrl()): DatabaseKind {
  if (url.startsWith("file:")) return "sqlite";
  if (/^postgres(ql)?:\/\//.test(url)) return "postgresql";
  throw new Error(
    `DATABASE_URL must be a SQLite "file:" URL or a PostgreSQL "postgresql://" URL, got "${scheme(url)}"`,
  );
}

export function databaseFile(url = databaseUrl()): string {
  if (!url.startsWith("file:")) {
    throw new Error(`DATABASE_URL must be a SQLite "file:" URL here, got "${scheme(url)}"`);
  }
  const file = url.slice("file:".length).replace(/\?.*$/, "");
  return file === ":memory:" ? file : path.resolve(file);
}

/** A PostgreSQL URL as it may be printed: host, port and database, never the user's password. */
export function describePostgresUrl(url: string): string {
  const parsed = new URL(url);
  return `PostgreSQL database "${decodeURIComponent(parsed.pathname.slice(1)) || "postgres"}" on ${parsed.host}`;
}
