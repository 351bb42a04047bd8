import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { clientKind, createPrismaClient, getPrisma, prisma } from "@/lib/prisma";
import { applyMigrations } from "../../prisma/migrate";

const dirs: string[] = [];
const clients: { $disconnect(): Promise<void> }[] = [];

function tempFile(name = "api.db"): string {
  const dir = mkdtempSync(path.join(tmpdir(), "workbook-prisma-"));
  dirs.push(dir);
  return path.join(dir, name);
}

function keep<T extends { $disconnect(): Promise<void> }>(client: T): T {
  clients.push(client);
  return client;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.$disconnect()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("getPrisma", () => {
  it("is the client for DATABASE_URL when given no URL, and that is the exported prisma", () => {
    expect(getPrisma()).toBe(prisma);
    expect(getPrisma(process.env.DATABASE_URL)).toBe(prisma);
  });

  it("returns one client per database file, however its URL is written", () => {
    const file = tempFile();
    applyMigrations(file);
    const relative = path.relative(process.cwd(), file);
    const client = keep(getPrisma(`file:${file}`));
    expect(getPrisma(`file:${relative}`)).toBe(client);
    expect(getPrisma(`file:${file}?connection_limit=1`)).toBe(client);
  });

  it("returns different clients for different files", () => {
    const [first, second] = [tempFile("a.db"), tempFile("b.db")];
    expect(keep(getPrisma(`file:${first}`))).not.toBe(keep(getPrisma(`file:${second}`)));
  });

  it("rejects a URL that is neither SQLite nor PostgreSQL before creating a client", () => {
    expect(() => getPrisma("mysql://localhost/users")).toThrow(
      'DATABASE_URL must be a SQLite "file:" URL or a PostgreSQL',
    );
  });

  it("returns a PostgreSQL client for a postgresql:// URL, one per URL, connecting only when first used", () => {
    const url = "postgresql://nobody@127.0.0.1:1/users";
    const client = keep(getPrisma(url));
    expect(clientKind(client)).toBe("postgresql");
    expect(getPrisma(url)).toBe(client);
    expect(clientKind(prisma)).toBe("sqlite");
  });
});

describe("createPrismaClient", () => {
  it("reads and writes a migrated database file", async () => {
    const file = tempFile();
    applyMigrations(file);
    const client = keep(createPrismaClient(file));
    await client.user.create({ data: { name: "Ada", email: "ada@example.com", role: "admin" } });
    expect(await client.user.count()).toBe(1);
  });

  it("fails with an error naming a missing database file, and does not create it", async () => {
    const file = tempFile("missing.db");
    const client = keep(createPrismaClient(file));
    await expect(client.user.count()).rejects.toThrow(
      `Database file ${file} does not exist. Run \`npm run db:reset\` to create it.`,
    );
    expect(existsSync(file)).toBe(false);
  });

  it("opens an in-memory database without a file", async () => {
    const client = keep(createPrismaClient(":memory:"));
    await expect(client.$queryRawUnsafe("SELECT 1 AS one")).resolves.toEqual([{ one: 1n }]);
  });
});
