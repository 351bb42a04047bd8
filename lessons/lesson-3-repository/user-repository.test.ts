import { beforeEach, describe, expect, it } from "vitest";
import { ApiError } from "@/lib/errors";
import { prisma } from "@/lib/prisma";
import type { Role } from "@/schemas/user";
import { deleteUser, insertUser, resetUsers } from "@/testing/fixtures";
import { createUserRepository, type GuardedResult } from "./user-repository";

// These tests run against a real SQLite database, migrated fresh for this file and emptied
// before each test. Rows are set up straight in the table, not through the repository, so each
// test checks one method.

const users = createUserRepository(prisma);

function insert(email: string, role: Role = "user", name = email.split("@")[0]!) {
  return insertUser({ name, email, role });
}

async function rowCount(): Promise<number> {
  return prisma.user.count();
}

const isNotImplemented = (error: unknown) => error instanceof Error && error.name === "NotImplementedError";

/** The error a promise rejects with; fails the test if it resolves or is not written yet. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => expect.fail(`expected a rejection, but it resolved with ${String(value)}`),
    (error: unknown) => {
      if (isNotImplemented(error)) throw error;
      return error;
    },
  );
}

function expectEmailExists(error: unknown): asserts error is ApiError {
  expect(error, "a duplicate email must be thrown as an ApiError, not as Prisma's own error").toBeInstanceOf(ApiError);
  const apiError = error as ApiError;
  expect({ statusCode: apiError.statusCode, code: apiError.code, message: apiError.message }).toEqual({
    statusCode: 409,
    code: "EMAIL_EXISTS",
    message: "Email already exists",
  });
}

beforeEach(async () => {
  await resetUsers();
});

describe("findById", () => {
  it("returns the user with that id", async () => {
    const alice = await insert("alice@example.com");
    await insert("bob@example.com");

    expect(await users.findById(alice.id)).toEqual(alice);
  });

  it("returns null for an id nobody has", async () => {
    const alice = await insert("alice@example.com");

    expect(await users.findById(alice.id + 1000n), "findById() for a missing id must return null").toBeNull();
  });
});

describe("findByEmail", () => {
  it("returns the user with that email", async () => {
    await insert("alice@example.com");
    const bob = await insert("bob@example.com");

    expect(await users.findByEmail("bob@example.com")).toEqual(bob);
  });

  it("returns null for an email nobody has", async () => {
    await insert("alice@example.com");

    expect(
      await users.findByEmail("nobody@example.com"),
      "findByEmail() for a missing email must return null",
    ).toBeNull();
  });
});

describe("create", () => {
  it("stores the user and returns the new row with a BigInt id", async () => {
    const user = await users.create({ name: "Alice", email: "alice@example.com", role: "admin" });

    expect(typeof user.id, "ids are BigInt columns, so Prisma returns them as bigint").toBe("bigint");
    expect(user).toMatchObject({ name: "Alice", email: "alice@example.com", role: "admin" });
    expect(user.createdAt).toBeInstanceOf(Date);
    expect(await prisma.user.findUnique({ where: { id: user.id } })).toEqual(user);
  });

  it("gives every new user a different id", async () => {
    const first = await users.create({ name: "A", email: "a@example.com", role: "user" });
    const second = await users.create({ name: "B", email: "b@example.com", role: "user" });

    expect(second.id).not.toBe(first.id);
    expect(await rowCount()).toBe(2);
  });

  it("throws a 409 EMAIL_EXISTS ApiError when the email is taken", async () => {
    await insert("taken@example.com");

    const error = await rejection(users.create({ name: "Copy", email: "taken@example.com", role: "user" }));

    expectEmailExists(error);
  });

  it("never shows the client the email or the database's message", async () => {
    await insert("secret.person@example.com");

    const error = await rejection(users.create({ name: "Copy", email: "secret.person@example.com", role: "user" }));

    expectEmailExists(error);
    expect(error.message, "the message must not echo the email").not.toMatch(/secret\.person|@/);
    expect(error.message, "the message must not carry SQL or Prisma text").not.toMatch(
      /unique|constraint|prisma|sqlite|invocation/i,
    );
  });

  it("keeps the database's error as the cause, for the log", async () => {
    await insert("taken@example.com");

    const error = await rejection(users.create({ name: "Copy", email: "taken@example.com", role: "user" }));

    expectEmailExists(error);
    expect(error.cause, "pass the Prisma error as { cause } so the log can show what really happened").toMatchObject({
      code: "P2002",
    });
  });

  it("stores nothing when the email is taken", async () => {
    await insert("taken@example.com", "user", "Original");

    expectEmailExists(await rejection(users.create({ name: "Copy", email: "taken@example.com", role: "admin" })));
    expect(await prisma.user.findMany({ select: { name: true, role: true } })).toEqual([
      { name: "Original", role: "user" },
    ]);
  });

  it("passes any other database error on unchanged", async () => {
    const invalid = { name: null, email: "x@example.com", role: "user" } as unknown as Parameters<
      typeof users.create
    >[0];

    const error = await rejection(users.create(invalid));

    expect(error, "only a unique violation (P2002) becomes EMAIL_EXISTS").not.toBeInstanceOf(ApiError);
    expect((error as Error).name).toBe("PrismaClientValidationError");
  });
});

describe("list", () => {
  async function insertMany(count: number) {
    const rows = [];
    for (let i = 1; i <= count; i++) rows.push(await insert(`user${i}@example.com`));
    return rows;
  }

  const ids = (page: { users: { id: bigint }[] }) => page.users.map((user) => user.id);

  it("returns an empty page with no next cursor for an empty table", async () => {
    expect(await users.list({ limit: 10 })).toEqual({ users: [], nextCursor: null });
  });

  it("returns at most `limit` users, starting with the lowest id", async () => {
    const rows = await insertMany(5);

    const page = await users.list({ limit: 2 });

    expect(ids(page)).toEqual([rows[0]!.id, rows[1]!.id]);
  });

  it("orders users by id, not by name or email", async () => {
    const zed = await insert("zed@example.com", "user", "Zed");
    const amy = await insert("amy@example.com", "user", "Amy");

    expect(ids(await users.list({ limit: 10 }))).toEqual([zed.id, amy.id]);
  });

  it("returns the id of the page's last user as nextCursor when more users follow", async () => {
    const rows = await insertMany(3);

    const page = await users.list({ limit: 2 });

    expect(page.nextCursor, "nextCursor must be the id of the last user on this page").toBe(rows[1]!.id);
  });

  it("returns nextCursor null when the remaining users fill the page exactly", async () => {
    await insertMany(2);

    const page = await users.list({ limit: 2 });

    expect(page.users).toHaveLength(2);
    expect(page.nextCursor, "no user follows this page, so there is no next page").toBeNull();
  });

  it("returns nextCursor null when the page is not full", async () => {
    await insertMany(1);

    expect((await users.list({ limit: 2 })).nextCursor).toBeNull();
  });

  it("continues after the cursor, without repeating the cursor's user", async () => {
    const rows = await insertMany(4);

    const page = await users.list({ limit: 2, cursor: rows[1]!.id });

    expect(ids(page)).toEqual([rows[2]!.id, rows[3]!.id]);
    expect(page.nextCursor).toBeNull();
  });

  it("visits every user exactly once when following nextCursor", async () => {
    const rows = await insertMany(7);

    const seen: bigint[] = [];
    let cursor: bigint | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await users.list({ limit: 3, cursor });
      seen.push(...ids(page));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }

    expect(seen).toEqual(rows.map((row) => row.id));
  });

  it("still continues after a cursor whose user has since been deleted", async () => {
    const rows = await insertMany(3);
    await deleteUser(rows[1]!.id);

    expect(ids(await users.list({ limit: 10, cursor: rows[1]!.id }))).toEqual([rows[2]!.id]);
  });

  it("returns an empty page for a cursor past the last user", async () => {
    const rows = await insertMany(2);

    expect(await users.list({ limit: 10, cursor: rows[1]!.id + 100n })).toEqual({ users: [], nextCursor: null });
  });
});

describe("update", () => {
  it("changes the given fields and returns the updated user", async () => {
    const alice = await insert("alice@example.com");

    const result = await users.update(alice.id, { name: "Alice B", email: "alice.b@example.com" });

    expect(result).toMatchObject({
      ok: true,
      user: { id: alice.id, name: "Alice B", email: "alice.b@example.com", role: "user" },
    });
    expect(await prisma.user.findUnique({ where: { id: alice.id } })).toMatchObject({
      name: "Alice B",
      email: "alice.b@example.com",
    });
  });

  it("leaves the fields it is not given unchanged", async () => {
    const alice = await insert("alice@example.com", "admin", "Alice");

    await users.update(alice.id, { name: "Alicia" });

    expect(await prisma.user.findUnique({ where: { id: alice.id } })).toMatchObject({
      name: "Alicia",
      email: "alice@example.com",
      role: "admin",
    });
  });

  it("answers not_found for an id nobody has, and creates nothing", async () => {
    const alice = await insert("alice@example.com");

    const result = await users.update(alice.id + 1000n, { name: "Ghost" });

    expect(result).toEqual({ ok: false, reason: "not_found" });
    expect(await rowCount()).toBe(1);
  });

  it("throws a 409 EMAIL_EXISTS ApiError when the new email belongs to someone else", async () => {
    await insert("alice@example.com");
    const bob = await insert("bob@example.com", "user", "Bob");

    const error = await rejection(users.update(bob.id, { name: "Robert", email: "alice@example.com" }));

    expectEmailExists(error);
    expect(
      await prisma.user.findUnique({ where: { id: bob.id } }),
      "a failed update must change nothing",
    ).toMatchObject({
      name: "Bob",
      email: "bob@example.com",
    });
  });

  it("accepts the user's own current email", async () => {
    const alice = await insert("alice@example.com");

    expect(await users.update(alice.id, { email: "alice@example.com" })).toMatchObject({ ok: true });
  });

  it("refuses to demote the last admin and changes nothing", async () => {
    const admin = await insert("admin@example.com", "admin", "Admin");
    await insert("user@example.com");

    const result = await users.update(admin.id, { name: "Renamed", role: "user" });

    expect(result).toEqual({ ok: false, reason: "last_admin" });
    expect(
      await prisma.user.findUnique({ where: { id: admin.id } }),
      "the whole change must be rolled back",
    ).toMatchObject({
      name: "Admin",
      role: "admin",
    });
  });

  it("demotes an admin while another admin remains", async () => {
    const first = await insert("first@example.com", "admin");
    await insert("second@example.com", "admin");

    expect(await users.update(first.id, { role: "user" })).toMatchObject({ ok: true, user: { role: "user" } });
  });

  it("lets the last admin change their own name", async () => {
    const admin = await insert("admin@example.com", "admin");

    expect(await users.update(admin.id, { name: "Still Admin" })).toMatchObject({
      ok: true,
      user: { name: "Still Admin", role: "admin" },
    });
  });

  it("updates a plain user even when there is no admin at all", async () => {
    const user = await insert("user@example.com");

    const result = await users.update(user.id, { name: "Renamed" });

    expect(result, "the guard is about removing the last admin; no admin is removed here").toMatchObject({ ok: true });
  });
});

describe("delete", () => {
  it("deletes the user and returns the deleted row", async () => {
    await insert("admin@example.com", "admin");
    const bob = await insert("bob@example.com");

    const result = await users.delete(bob.id);

    expect(result).toEqual({ ok: true, user: bob });
    expect(await prisma.user.findUnique({ where: { id: bob.id } })).toBeNull();
  });

  it("answers not_found for an id nobody has", async () => {
    const admin = await insert("admin@example.com", "admin");

    expect(await users.delete(admin.id + 1000n)).toEqual({ ok: false, reason: "not_found" });
    expect(await rowCount()).toBe(1);
  });

  it("refuses to delete the last admin, and the row stays", async () => {
    const admin = await insert("admin@example.com", "admin");
    await insert("user@example.com");

    const result = await users.delete(admin.id);

    expect(result).toEqual({ ok: false, reason: "last_admin" });
    expect(await prisma.user.findUnique({ where: { id: admin.id } }), "the delete must be rolled back").toEqual(admin);
  });

  it("deletes an admin while another admin remains", async () => {
    const first = await insert("first@example.com", "admin");
    await insert("second@example.com", "admin");

    expect(await users.delete(first.id)).toMatchObject({ ok: true, user: { id: first.id } });
    expect(await prisma.user.count({ where: { role: "admin" } })).toBe(1);
  });

  it("deletes a plain user even when there is no admin at all", async () => {
    const user = await insert("user@example.com");

    expect(await users.delete(user.id)).toMatchObject({ ok: true });
    expect(await rowCount()).toBe(0);
  });
});

describe("concurrent writes", () => {
  it("lets only one of two simultaneous creates with the same email succeed; the other gets 409", async () => {
    const input = { name: "Twin", email: "twin@example.com", role: "user" } as const;

    const attempt = () =>
      users.create(input).then(
        (user) => ({ user }),
        (error: unknown) => {
          if (isNotImplemented(error)) throw error;
          return { error };
        },
      );

    const results = await Promise.all([attempt(), attempt()]);

    const failures = results.flatMap((result) => ("error" in result ? [result.error] : []));
    expect(failures, "exactly one of the two creates must fail").toHaveLength(1);
    expectEmailExists(failures[0]);
    expect(await rowCount(), "the database must hold the email once").toBe(1);
  });

  it("lets only one of two admins deleting each other at the same time succeed", async () => {
    const first = await insert("first@example.com", "admin");
    const second = await insert("second@example.com", "admin");

    const results: GuardedResult[] = await Promise.all([users.delete(second.id), users.delete(first.id)]);

    expect(results.map((result) => result.ok).sort(), "exactly one delete may succeed").toEqual([false, true]);
    expect(results.find((result) => !result.ok)).toEqual({ ok: false, reason: "last_admin" });
    expect(await prisma.user.count({ where: { role: "admin" } }), "one admin must remain").toBe(1);
  });

  it("lets only one of two admins demoting each other at the same time succeed", async () => {
    const first = await insert("first@example.com", "admin");
    const second = await insert("second@example.com", "admin");

    const results = await Promise.all([
      users.update(second.id, { role: "user" }),
      users.update(first.id, { role: "user" }),
    ]);

    expect(results.map((result) => result.ok).sort()).toEqual([false, true]);
    expect(await prisma.user.count({ where: { role: "admin" } }), "one admin must remain").toBe(1);
  });
});
