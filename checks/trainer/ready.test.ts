import { cpSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { applyMigrations } from "../../prisma/migrate.ts";
import {
  checkDatabase,
  checkGeneratedClient,
  checkLessons,
  checkNode,
  checkPackages,
  readinessReport,
  satisfies,
} from "./ready.ts";
import { projectRoot } from "../testing/fixture-workbook.ts";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function folder(packageJson: object = { engines: { node: "^20.19.0 || ^22.12.0 || >=24.0.0" } }): string {
  const created = mkdtempSync(path.join(tmpdir(), "workbook-ready-"));
  writeFileSync(path.join(created, "package.json"), JSON.stringify(packageJson));
  dir = created;
  return created;
}

describe("npm run ready", () => {
  it.each([
    ["v20.19.0", true],
    ["v20.18.3", false],
    ["v21.7.0", false],
    ["v22.11.0", false],
    ["v22.12.0", true],
    ["v24.0.0", true],
    ["v26.1.0", true],
    ["v18.20.0", false],
  ])("Node %s satisfies ^20.19.0 || ^22.12.0 || >=24.0.0: %s", (version, ok) => {
    expect(satisfies(version, "^20.19.0 || ^22.12.0 || >=24.0.0")).toBe(ok);
  });

  it("names the Node versions needed and how to get one", () => {
    const root = folder();
    expect(checkNode(root, "v18.20.0")).toEqual({
      ok: false,
      line: "Node v18.20.0 is too old or too new: the workbook needs ^20.19.0 || ^22.12.0 || >=24.0.0",
      fix: "install Node 22 LTS from https://nodejs.org, then run npm install",
    });
  });

  it("lists packages that are not installed", () => {
    const root = folder({
      dependencies: { zod: "4", "left-pad-nowhere": "1" },
      devDependencies: { "also-missing": "1" },
    });
    mkdirSync(path.join(root, "node_modules", "zod"), { recursive: true });
    writeFileSync(path.join(root, "node_modules", "zod", "package.json"), "{}");
    expect(checkPackages(root)).toEqual({
      ok: false,
      line: "2 of 3 npm packages are not installed (left-pad-nowhere, also-missing)",
      fix: "npm install",
    });
  });

  it("finds a missing or stale generated client", () => {
    const root = folder();
    expect(checkGeneratedClient(root)).toMatchObject({
      ok: false,
      fix: "npm run postinstall",
      line: expect.stringContaining("is missing"),
    });
    mkdirSync(path.join(root, "solutions", "generated", "prisma"), { recursive: true });
    mkdirSync(path.join(root, "prisma"));
    writeFileSync(path.join(root, "solutions", "generated", "prisma", "client.ts"), "");
    writeFileSync(path.join(root, "prisma", "schema.prisma"), "");
    utimesSync(
      path.join(root, "solutions", "generated", "prisma", "client.ts"),
      new Date("2026-01-01"),
      new Date("2026-01-01"),
    );
    expect(checkGeneratedClient(root)).toMatchObject({
      ok: false,
      fix: "npm run postinstall",
      line: expect.stringContaining("older than prisma/schema.prisma"),
    });
  });

  it.each([
    ["missing", () => {}, "the database prisma/dev.db does not exist", "npm run postinstall"],
    [
      "not migrated",
      () => writeFileSync(path.join(dir!, "prisma", "dev.db"), ""),
      "misses 1 migration(s)",
      "npm run db:reset",
    ],
    [
      "without users",
      () => applyMigrations(path.join(dir!, "prisma", "dev.db"), path.join(dir!, "prisma", "migrations")),
      "has no seed users",
      "npm run db:reset",
    ],
    [
      "not a database",
      () => writeFileSync(path.join(dir!, "prisma", "dev.db"), "x".repeat(4096)),
      "cannot be read",
      "npm run db:reset",
    ],
  ])("finds a database that is %s", (_, prepare, line, fix) => {
    const root = folder();
    cpSync(path.join(projectRoot, "node_modules"), path.join(root, "node_modules"), {
      recursive: true,
      filter: (src) =>
        !src.includes(".cache") &&
        (src.endsWith("node_modules") ||
          /node_modules\/(better-sqlite3(-classic|-node-api)?|bindings|file-uri-to-path)(\/|$)/.test(src)),
    });
    const migrations = path.join(root, "prisma", "migrations");
    mkdirSync(path.join(migrations, "20260101000000_init"), { recursive: true });
    writeFileSync(
      path.join(migrations, "20260101000000_init", "migration.sql"),
      'CREATE TABLE "User" ("id" INTEGER PRIMARY KEY);',
    );
    prepare();
    expect(checkDatabase(root, {})).toMatchObject({ ok: false, line: expect.stringContaining(line), fix });
  });

  it("finds a workbook without lessons", () => {
    expect(checkLessons(folder())).toMatchObject({ ok: false, line: "no lessons found in lessons/" });
  });

  it("counts this workbook's lessons", () => {
    expect(checkLessons(projectRoot)).toEqual({ ok: true, line: expect.stringMatching(/^\d+ lessons$/) });
  });

  it("ends with Ready, or with the commands to run, each once, in order", () => {
    expect(readinessReport([{ ok: true, line: "Node v22.12.0" }]).text).toBe(
      "✓ Node v22.12.0\n\nReady. Next: npm start\n",
    );
    const notReady = readinessReport([
      { ok: true, line: "Node v22.12.0" },
      { ok: false, line: "the generated Prisma client is missing", fix: "npm run postinstall" },
      { ok: false, line: "the database prisma/dev.db does not exist", fix: "npm run postinstall" },
      { ok: false, line: "the database has no users", fix: "npm run db:reset" },
    ]);
    expect(notReady).toEqual({
      ready: false,
      text: [
        "✓ Node v22.12.0",
        "✗ the generated Prisma client is missing: run npm run postinstall",
        "✗ the database prisma/dev.db does not exist: run npm run postinstall",
        "✗ the database has no users: run npm run db:reset",
        "",
        "Not ready. Run in order: npm run postinstall, then npm run db:reset; then npm run ready again.",
        "",
      ].join("\n"),
    });
  });
});
