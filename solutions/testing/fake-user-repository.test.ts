import { describe, expect, it } from "vitest";
import { ApiError } from "@/lib/errors";
import { prisma } from "@/lib/prisma";
import { createUserRepository, type UserRepository } from "@/repositories/user-repository";
import { createFakeUserRepository, type FakeUserSeed } from "@/testing/fake-user-repository";

// A fake is only worth its speed while it behaves like the real thing, so the same contract runs
// against the Prisma repository on this file's fresh database and against the fake.

type Make = (seed?: FakeUserSeed[]) => Promise<UserRepository>;

const real: Make = async (seed = []) => {
  await prisma.user.deleteMany();
  for (const user of seed) {
    await prisma.user.create({
      data: { name: user.name ?? user.email.split("@")[0]!, email: user.email, role: user.role ?? "user" },
    });
  }
  return createUserRepository(prisma);
};

const fake: Make = async (seed = []) => createFakeUserRepository(seed);

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => expect.fail("expected a rejection"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe.each([
  ["the Prisma repository", real],
  ["the fake repository", fake],
])("%s", (_, make) => {
  const admin: FakeUserSeed = { email: "admin@example.com", role: "admin" };

  it("creates users with increasing BigInt ids and finds them by id and by email", async () => {
    const users = await make();
    const first = await users.create({ name: "A", email: "a@example.com", role: "user" });
    const second = await users.create({ name: "B", email: "b@example.com", role: "admin" });

    expect(typeof first.id).toBe("bigint");
    expect(second.id > first.id).toBe(true);
    expect(first.createdAt).toBeInstanceOf(Date);
    expect(await users.findById(second.id)).toMatchObject({ name: "B", email: "b@example.com", role: "admin" });
    expect(await users.findByEmail("a@example.com")).toEqual(first);
    expect(await users.findById(second.id + 1n)).toBeNull();
    expect(await users.findByEmail("nobody@example.com")).toBeNull();
  });

  it("never reuses the id of a deleted user", async () => {
    const users = await make([admin]);
    const gone = await users.create({ name: "Gone", email: "gone@example.com", role: "user" });
    await users.delete(gone.id);

    expect((await users.create({ name: "New", email: "new@example.com", role: "user" })).id > gone.id).toBe(true);
  });

  it("answers a taken email with EMAIL_EXISTS on create and on update, changing nothing", async () => {
    const users = await make([admin, { email: "bob@example.com", name: "Bob" }]);
    const bob = (await users.findByEmail("bob@example.com"))!;

    const created = await rejection(users.create({ name: "X", email: "admin@example.com", role: "user" }));
    const updated = await rejection(users.update(bob.id, { name: "Robert", email: "admin@example.com" }));

    for (const error of [created, updated]) {
      expect([error.statusCode, error.code, error.message]).toEqual([409, "EMAIL_EXISTS", "Email already exists"]);
    }
    expect(await users.findById(bob.id)).toMatchObject({ name: "Bob", email: "bob@example.com" });
    expect((await users.list({ limit: 10 })).users).toHaveLength(2);
  });

  it("pages by id with a cursor that survives the deletion of its user", async () => {
    const users = await make([
      admin,
      { email: "b@example.com" },
      { email: "c@example.com" },
      { email: "d@example.com" },
    ]);
    const all = (await users.list({ limit: 10 })).users;

    const first = await users.list({ limit: 2 });
    expect(first.users.map((u) => u.email)).toEqual(["admin@example.com", "b@example.com"]);
    expect(first.nextCursor).toBe(all[1]!.id);
    await users.delete(all[1]!.id);
    const second = await users.list({ limit: 2, cursor: first.nextCursor! });
    expect(second).toEqual({ users: [all[2], all[3]], nextCursor: null });
    expect(await users.list({ limit: 2, cursor: all[3]!.id })).toEqual({ users: [], nextCursor: null });
  });

  it("updates only the given fields and reports a missing user", async () => {
    const users = await make([admin, { email: "bob@example.com", name: "Bob" }]);
    const bob = (await users.findByEmail("bob@example.com"))!;

    expect(await users.update(bob.id, { name: "Robert" })).toMatchObject({
      ok: true,
      user: { name: "Robert", email: "bob@example.com", role: "user" },
    });
    expect(await users.update(bob.id, { email: "bob@example.com" })).toMatchObject({ ok: true });
    expect(await users.update(bob.id + 100n, { name: "Ghost" })).toEqual({ ok: false, reason: "not_found" });
    expect(await users.delete(bob.id + 100n)).toEqual({ ok: false, reason: "not_found" });
  });

  it("keeps at least one admin, and only guards changes to admins", async () => {
    const users = await make([admin, { email: "bob@example.com" }]);
    const [boss, bob] = (await users.list({ limit: 10 })).users;

    expect(await users.update(boss!.id, { name: "Boss", role: "user" })).toEqual({ ok: false, reason: "last_admin" });
    expect(await users.delete(boss!.id)).toEqual({ ok: false, reason: "last_admin" });
    expect(await users.findById(boss!.id)).toMatchObject({ name: "admin", role: "admin" });
    expect(await users.update(boss!.id, { name: "Boss" })).toMatchObject({ ok: true });

    expect(await users.update(bob!.id, { role: "admin" })).toMatchObject({ ok: true, user: { role: "admin" } });
    expect(await users.update(boss!.id, { role: "user" })).toMatchObject({ ok: true, user: { role: "user" } });
    expect(await users.delete(bob!.id)).toEqual({ ok: false, reason: "last_admin" });
  });

  it("edits and deletes plain users in a database without any admin", async () => {
    const users = await make([{ email: "a@example.com" }, { email: "b@example.com" }]);
    const [a, b] = (await users.list({ limit: 10 })).users;

    expect(await users.update(a!.id, { name: "Renamed" })).toMatchObject({ ok: true });
    expect(await users.delete(b!.id)).toEqual({ ok: true, user: b });
  });

  it("lets exactly one of two admins deleting each other at once succeed", async () => {
    const users = await make([admin, { email: "second@example.com", role: "admin" }]);
    const [first, second] = (await users.list({ limit: 10 })).users;

    const results = await Promise.all([users.delete(first!.id), users.delete(second!.id)]);

    expect(results.map((result) => result.ok).sort()).toEqual([false, true]);
    expect((await users.list({ limit: 10 })).users).toHaveLength(1);
  });

  it("hands out copies, so editing a result does not change what is stored", async () => {
    const users = await make([admin]);
    const found = (await users.findByEmail("admin@example.com"))!;

    found.role = "user";
    found.createdAt.setFullYear(1999);

    expect(await users.findById(found.id)).toMatchObject({ role: "admin" });
    expect((await users.findById(found.id))!.createdAt.getFullYear()).not.toBe(1999);
  });
});

describe("createFakeUserRepository seeds", () => {
  it("gives seeded users the ids they ask for and continues after the highest", async () => {
    const users = createFakeUserRepository([{ id: 7n, email: "seven@example.com" }, { email: "eight@example.com" }]);

    expect(users.all().map((user) => [user.id, user.name, user.role])).toEqual([
      [7n, "seven", "user"],
      [8n, "eight", "user"],
    ]);
    expect((await users.create({ name: "Nine", email: "nine@example.com", role: "user" })).id).toBe(9n);
  });

  it("refuses a seed with a duplicate email or id", () => {
    expect(() => createFakeUserRepository([{ email: "a@example.com" }, { email: "a@example.com" }])).toThrow(ApiError);
    expect(() =>
      createFakeUserRepository([
        { id: 1n, email: "a@example.com" },
        { id: 1n, email: "b@example.com" },
      ]),
    ).toThrow("id 1 is already taken");
  });
});
