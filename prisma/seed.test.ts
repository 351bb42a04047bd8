import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PrismaClient } from "@/generated/prisma/client";
import { createPrismaClient } from "@/lib/prisma";
import { applyMigrations } from "./migrate";
import { SEED_USERS, seed } from "./seed";

let dir: string;
let db: PrismaClient;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "workbook-seed-"));
  const file = path.join(dir, "seed.db");
  applyMigrations(file);
  db = createPrismaClient(file);
});

afterEach(async () => {
  await db.$disconnect();
  rmSync(dir, { recursive: true, force: true });
});

const users = () => db.user.findMany({ select: { name: true, email: true, role: true }, orderBy: { id: "asc" } });

describe("seed", () => {
  it("adds every seed user to an empty database and says how many", async () => {
    expect(await seed(db)).toBe(SEED_USERS.length);
    expect(await users()).toEqual(SEED_USERS.map((user) => ({ ...user })));
  });

  it("includes an admin to log in as: admin@example.com", async () => {
    await seed(db);
    expect(await db.user.findUnique({ where: { email: "admin@example.com" } })).toMatchObject({ role: "admin" });
  });

  it("changes nothing when run a second time", async () => {
    await seed(db);
    const before = await db.user.findMany({ orderBy: { id: "asc" } });
    expect(await seed(db)).toBe(0);
    expect(await db.user.findMany({ orderBy: { id: "asc" } })).toEqual(before);
  });

  it("adds back only the seed users that are missing", async () => {
    await seed(db);
    await db.user.delete({ where: { email: "henry@example.com" } });
    expect(await seed(db)).toBe(1);
    expect(await db.user.count({ where: { email: "henry@example.com" } })).toBe(1);
  });

  it("keeps a developer's changes to a seed user and their own users", async () => {
    await seed(db);
    await db.user.update({ where: { email: "grace@example.com" }, data: { name: "Grace Renamed", role: "admin" } });
    await db.user.create({ data: { name: "Mine", email: "mine@example.com" } });
    await seed(db);
    expect(await db.user.findUnique({ where: { email: "grace@example.com" } })).toMatchObject({
      name: "Grace Renamed",
      role: "admin",
    });
    expect(await db.user.count()).toBe(SEED_USERS.length + 1);
  });

  it("leaves free the email of the worked example (create Alice), so it answers 201 on a fresh database", () => {
    expect(SEED_USERS.map((user) => user.email)).not.toContain("alice@example.com");
  });
});
