import { beforeEach, describe, expect, it } from "vitest";
import { ApiError } from "@/lib/errors";
import { clientKind, prisma } from "@/lib/prisma";
import { createUserRepository } from "@/repositories/user-repository";

// The reference repository on PostgreSQL, where transactions really run side by side (SQLite's
// run one at a time). The same rules must hold: one admin always remains, a taken email is
// EMAIL_EXISTS, ids are BigInt.

const users = createUserRepository(prisma);

beforeEach(() => prisma.user.deleteMany());

const admin = (name: string) => users.create({ name, email: `${name.toLowerCase()}@scale.example`, role: "admin" });

describe("the user repository on PostgreSQL", () => {
  it("runs on PostgreSQL", () => {
    expect(clientKind(prisma)).toBe("postgresql");
  });

  it("keeps one admin when the last two demote each other at the same moment, round after round", async () => {
    for (let round = 0; round < 30; round += 1) {
      await prisma.user.deleteMany();
      const [first, second] = [await admin(`First${round}`), await admin(`Second${round}`)];
      const results = await Promise.all([
        users.update(first.id, { role: "user" }),
        users.update(second.id, { role: "user" }),
      ]);
      expect(results.map((r) => (r.ok ? "ok" : r.reason)).sort(), `round ${round}`).toEqual(["last_admin", "ok"]);
      expect(await prisma.user.count({ where: { role: "admin" } }), `round ${round}`).toBe(1);
    }
  });

  it("keeps one admin when the last two delete each other at the same moment", async () => {
    for (let round = 0; round < 10; round += 1) {
      await prisma.user.deleteMany();
      const [first, second] = [await admin(`First${round}`), await admin(`Second${round}`)];
      const results = await Promise.all([users.delete(first.id), users.delete(second.id)]);
      expect(results.map((r) => (r.ok ? "ok" : r.reason)).sort(), `round ${round}`).toEqual(["last_admin", "ok"]);
      expect(await prisma.user.count({ where: { role: "admin" } })).toBe(1);
    }
  });

  it("lets many edits of ordinary users run at once, none refused", async () => {
    await admin("Keeper");
    const people = await Promise.all(
      Array.from({ length: 20 }, (_, i) => users.create({ name: `P${i}`, email: `p${i}@scale.example`, role: "user" })),
    );
    const results = await Promise.all(people.map((p) => users.update(p.id, { name: `${p.name} edited` })));
    expect(results.every((r) => r.ok)).toBe(true);
  });

  it("answers EMAIL_EXISTS for a taken email, from PostgreSQL's index name, without its message", async () => {
    await users.create({ name: "Ada", email: "ada@scale.example", role: "user" });
    const error = await users
      .create({ name: "Copy", email: "ada@scale.example", role: "user" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: "EMAIL_EXISTS", message: "Email already exists" });
    expect((error as ApiError).cause).toMatchObject({
      code: "P2002",
      meta: { driverAdapterError: { cause: { constraint: { index: "User_email_key" } } } },
    });
  });

  it("passes a clash on another unique index on as it is, not as EMAIL_EXISTS", async () => {
    const ada = await users.create({ name: "Ada", email: "ada@scale.example", role: "user" });
    // Rows copied in with their ids leave the sequence behind: the next id drawn is Ada's.
    await prisma.$executeRawUnsafe(`SELECT setval(pg_get_serial_sequence('"User"', 'id'), ${ada.id - 1n})`);
    const error = await users
      .create({ name: "Bob", email: "bob@scale.example", role: "user" })
      .catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      code: "P2002",
      meta: { driverAdapterError: { cause: { constraint: { index: "User_pkey" } } } },
    });
  });

  it("keeps ids BigInt, in order, and pages by them", async () => {
    const created = [];
    for (let i = 0; i < 5; i += 1)
      created.push(await users.create({ name: `U${i}`, email: `u${i}@scale.example`, role: "user" }));
    expect(created.every((u) => typeof u.id === "bigint")).toBe(true);
    const first = await users.list({ limit: 2 });
    const second = await users.list({ limit: 2, cursor: first.nextCursor! });
    expect([...first.users, ...second.users].map((u) => u.id)).toEqual(created.slice(0, 4).map((u) => u.id));
  });
});
