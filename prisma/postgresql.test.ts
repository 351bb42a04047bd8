import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { listMigrations, MIGRATIONS_DIR, POSTGRES_MIGRATIONS_DIR } from "./migrate";

// Prisma generates one client per database provider, so the model is written twice: once for
// SQLite (the default) and once for PostgreSQL. The app types both clients as the SQLite one,
// which is only true while the two models are the same.

const models = (file: string) =>
  readFileSync(path.join(import.meta.dirname, file), "utf8")
    .split(/\n(?=model |generator |datasource )/)
    .filter((block) => block.startsWith("model "))
    .map((block) => block.trim());

describe("the PostgreSQL schema", () => {
  it("has exactly the models of the SQLite schema", () => {
    expect(models("postgresql/schema.prisma")).toEqual(models("schema.prisma"));
    expect(models("schema.prisma").length).toBeGreaterThan(0);
  });

  it("has a migration for every SQLite migration, under the same name", () => {
    const names = (dir: string) => listMigrations(dir).map((migration) => migration.name);
    expect(names(POSTGRES_MIGRATIONS_DIR)).toEqual(names(MIGRATIONS_DIR));
  });
});
