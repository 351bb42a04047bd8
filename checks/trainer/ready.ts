import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadLessons } from "../learner/workbook/lessons.ts";

// npm run ready: the install check for everyone in a room, before the day. One line per thing a
// learner needs (Node, the packages, the generated database client, the database, the lessons),
// then "Ready." or exactly what is missing and the one command that fixes it.

interface Readiness {
  ok: boolean;
  /** What was checked, and what was found. */
  line: string;
  /** The command that fixes it, when not ok. */
  fix?: string;
}

/** Whether `version` (e.g. "v22.11.0") satisfies a range like "^20.19.0 || ^22.12.0 || >=24.0.0". */
export function satisfies(version: string, range: string): boolean {
  const parse = (v: string) =>
    v
      .replace(/^[v^>=\s]+/, "")
      .split(".")
      .map(Number) as [number, number, number];
  const compare = (a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
  const have = parse(version);
  return range.split("||").some((part) => {
    const wanted = part.trim();
    const min = parse(wanted);
    if (wanted.startsWith("^")) return have[0] === min[0] && compare(have, min) >= 0;
    if (wanted.startsWith(">=")) return compare(have, min) >= 0;
    return compare(have, min) === 0;
  });
}

type Manifest = {
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};

export function checkNode(root: string, version = process.version): Readiness {
  const range = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as Manifest).engines?.node;
  if (!range || satisfies(version, range))
    return { ok: true, line: `Node ${version}${range ? ` (the workbook needs ${range})` : ""}` };
  return {
    ok: false,
    line: `Node ${version} is too old or too new: the workbook needs ${range}`,
    fix: "install Node 22 LTS from https://nodejs.org, then run npm install",
  };
}

export function checkPackages(root: string): Readiness {
  const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as Manifest;
  const names = [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})];
  const missing = names.filter((name) => !existsSync(path.join(root, "node_modules", name, "package.json")));
  if (missing.length > 0) {
    const shown = missing.slice(0, 3).join(", ") + (missing.length > 3 ? ` and ${missing.length - 3} more` : "");
    return {
      ok: false,
      line: `${missing.length} of ${names.length} npm packages are not installed (${shown})`,
      fix: "npm install",
    };
  }
  return { ok: true, line: `npm packages installed (${names.length} of ${names.length})` };
}

/** better-sqlite3 is compiled for one Node version; after a Node upgrade it must be rebuilt. */
function checkSqlite(root: string): Readiness {
  try {
    const require = createRequire(path.join(root, "package.json"));
    const Database = require("better-sqlite3") as new (file: string) => { close(): void };
    new Database(":memory:").close();
    return { ok: true, line: "SQLite driver loads" };
  } catch (error) {
    const reason = (error as Error).message.split("\n")[0];
    return {
      ok: false,
      line: `the SQLite driver (better-sqlite3) does not load: ${reason}`,
      fix: "npm rebuild better-sqlite3",
    };
  }
}

export function checkGeneratedClient(root: string): Readiness {
  const client = path.join(root, "solutions", "generated", "prisma", "client.ts");
  const schema = path.join(root, "prisma", "schema.prisma");
  if (!existsSync(client))
    return {
      ok: false,
      line: "the generated Prisma client (solutions/generated/prisma) is missing",
      fix: "npm run postinstall",
    };
  if (existsSync(schema) && statSync(schema).mtimeMs > statSync(client).mtimeMs + 1000) {
    return {
      ok: false,
      line: "the generated Prisma client is older than prisma/schema.prisma",
      fix: "npm run postinstall",
    };
  }
  return { ok: true, line: "Prisma client generated" };
}

function databasePath(root: string, env: NodeJS.ProcessEnv | Record<string, string | undefined>): string {
  const url = env.DATABASE_URL?.trim() || "file:./prisma/dev.db";
  return path.resolve(root, url.replace(/^file:/, "").replace(/\?.*$/, ""));
}

export function checkDatabase(root: string, env: Record<string, string | undefined> = process.env): Readiness {
  const file = databasePath(root, env);
  const shown = path.relative(root, file) || file;
  if (!env.DATABASE_URL?.trim().startsWith("file:") && env.DATABASE_URL?.trim()) {
    return {
      ok: false,
      line: `DATABASE_URL is not a SQLite file: URL`,
      fix: "unset DATABASE_URL (the workbook uses prisma/dev.db)",
    };
  }
  if (!existsSync(file)) return { ok: false, line: `the database ${shown} does not exist`, fix: "npm run postinstall" };
  try {
    const require = createRequire(path.join(root, "package.json"));
    const Database = require("better-sqlite3") as new (
      file: string,
      options: object,
    ) => {
      prepare(sql: string): { all(): unknown[]; get(): unknown };
      close(): void;
    };
    const migrations = readdirNames(path.join(root, "prisma", "migrations"));
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const hasTable = (name: string) =>
        db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = '${name}'`).get() !== undefined;
      const applied = hasTable("_prisma_migrations")
        ? new Set(
            (
              db.prepare(`SELECT migration_name FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`).all() as {
                migration_name: string;
              }[]
            ).map((r) => r.migration_name),
          )
        : new Set<string>();
      const pending = migrations.filter((name) => !applied.has(name));
      if (pending.length > 0)
        return {
          ok: false,
          line: `the database ${shown} misses ${pending.length} migration(s) (${pending[0]}…)`,
          fix: "npm run db:reset",
        };
      const users = hasTable("User") ? (db.prepare(`SELECT COUNT(*) AS n FROM "User"`).get() as { n: number }).n : 0;
      if (users === 0) return { ok: false, line: `the database ${shown} has no seed users`, fix: "npm run db:reset" };
      return { ok: true, line: `database ${shown} migrated, ${users} users` };
    } finally {
      db.close();
    }
  } catch (error) {
    return {
      ok: false,
      line: `the database ${shown} cannot be read: ${(error as Error).message.split("\n")[0]}`,
      fix: "npm run db:reset",
    };
  }
}

function readdirNames(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(dir, entry.name, "migration.sql")))
    .map((entry) => entry.name)
    .sort();
}

export function checkLessons(root: string): Readiness {
  const { lessons, problems } = loadLessons(root);
  if (lessons.length === 0)
    return {
      ok: false,
      line: "no lessons found in lessons/",
      fix: "git checkout -- lessons (or clone the workbook again)",
    };
  if (problems.length > 0)
    return {
      ok: false,
      line: `${problems[0]!.dir}: ${problems[0]!.message}`,
      fix: `git checkout -- ${problems[0]!.dir}`,
    };
  return { ok: true, line: `${lessons.length} lessons` };
}

function readiness(root: string, env: Record<string, string | undefined> = process.env): Readiness[] {
  const node = checkNode(root);
  const packages = checkPackages(root);
  // Without the packages, the checks that load them can only repeat "npm install".
  if (!packages.ok) return [node, packages, checkLessons(root)];
  const sqlite = checkSqlite(root);
  return [
    node,
    packages,
    sqlite,
    checkGeneratedClient(root),
    ...(sqlite.ok ? [checkDatabase(root, env)] : []),
    checkLessons(root),
  ];
}

export function readinessReport(results: Readiness[]): { text: string; ready: boolean } {
  const lines = results.map((r) => (r.ok ? `✓ ${r.line}` : `✗ ${r.line}: run ${r.fix}`));
  const fixes = [...new Set(results.filter((r) => !r.ok).map((r) => r.fix!))];
  const ready = fixes.length === 0;
  lines.push(
    "",
    ready
      ? "Ready. Next: npm start"
      : `Not ready. Run ${fixes.length === 1 ? "" : "in order: "}${fixes.join(", then ")}; then npm run ready again.`,
  );
  return { text: `${lines.join("\n")}\n`, ready };
}

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  const root = path.resolve(process.env.WORKBOOK_ROOT ?? path.join(import.meta.dirname, "..", ".."));
  const { text, ready } = readinessReport(readiness(root));
  process.stdout.write(text);
  process.exitCode = ready ? 0 : 1;
}
