import { beforeEach, describe, expect, it } from "vitest";
import type { PrismaClient } from "@/generated/prisma/client";
import { prisma } from "@/lib/prisma";
import { createUserRepository } from "@/repositories/user-repository";
import { createUser, resetUsers } from "@/testing/fixtures";

// The SQLite adapter has one connection, and an interactive transaction holds it inside BEGIN
// while its callback awaits. These tests open such a window on purpose, by pausing the update
// inside the repository's last-admin transaction, and send a second operation through it.

/**
 * A client that pauses at the last-admin check: by then the change has been made inside the
 * transaction but not committed, and the transaction is about to be rolled back or committed.
 */
function pausingAtAdminCount() {
  let reached!: () => void;
  let release!: () => void;
  const checkReached = new Promise<void>((resolve) => (reached = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));
  const client = prisma.$extends({
    query: {
      user: {
        async count({ args, query }) {
          reached();
          await gate;
          return query(args);
        },
      },
    },
  }) as unknown as PrismaClient;
  return { client, checkReached, release };
}

/** Lets every queued callback and I/O event run: enough for an unblocked query to finish. */
async function drainEventLoop(turns = 200): Promise<void> {
  for (let i = 0; i < turns; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** Resolves to the operation's result, or to "still waiting" if it has not settled by now. */
async function settledOrWaiting<T>(operation: Promise<T>): Promise<T | "still waiting"> {
  return Promise.race([operation, drainEventLoop().then(() => "still waiting" as const)]);
}

beforeEach(resetUsers);

describe("an operation issued while another request's transaction is open", () => {
  it("is not undone when that transaction rolls back (a refused last-admin demotion)", async () => {
    const admin = await createUser({ email: "only-admin@example.com", role: "admin" });
    const { client, checkReached, release } = pausingAtAdminCount();
    const users = createUserRepository(client);

    const demotion = users.update(admin.id, { role: "user" });
    await checkReached;
    const creation = users.create({ name: "Newcomer", email: "new@example.com", role: "user" });
    await settledOrWaiting(creation);
    release();

    expect(await demotion).toEqual({ ok: false, reason: "last_admin" });
    const created = await creation;
    expect(
      await prisma.user.findUnique({ where: { id: created.id } }),
      "a create answered 201 must exist",
    ).not.toBeNull();
  });

  it("never reads a change that has not committed", async () => {
    const admin = await createUser({ email: "only-admin@example.com", role: "admin" });
    const { client, checkReached, release } = pausingAtAdminCount();
    const users = createUserRepository(client);

    const demotion = users.update(admin.id, { name: "Renamed", role: "user" });
    await checkReached;
    const read = users.findById(admin.id);
    await settledOrWaiting(read);
    release();

    expect(await demotion).toEqual({ ok: false, reason: "last_admin" });
    expect(await read).toMatchObject({ name: admin.name, role: "admin" });
  });

  it("waits for the transaction to finish, then runs", async () => {
    const admin = await createUser({ email: "only-admin@example.com", role: "admin" });
    const { client, checkReached, release } = pausingAtAdminCount();
    const users = createUserRepository(client);

    const demotion = users.update(admin.id, { role: "user" });
    await checkReached;
    const read = users.findByEmail("only-admin@example.com");
    expect(await settledOrWaiting(read)).toBe("still waiting");
    release();

    await demotion;
    expect(await read).toMatchObject({ id: admin.id });
  });
});

describe("operations outside any transaction", () => {
  it("run side by side instead of queueing, so Prisma can batch simultaneous reads", async () => {
    const people = await Promise.all(["a", "b", "c", "d", "e"].map((n) => createUser({ email: `${n}@example.com` })));
    let inFlight = 0;
    let most = 0;
    const client = prisma.$extends({
      query: {
        user: {
          async findUnique({ args, query }) {
            most = Math.max(most, (inFlight += 1));
            try {
              return await query(args);
            } finally {
              inFlight -= 1;
            }
          },
        },
      },
    }) as unknown as PrismaClient;
    const users = createUserRepository(client);

    const found = await Promise.all(people.map((person) => users.findById(person.id)));

    expect(found.map((user) => user?.email)).toEqual(people.map((person) => person.email));
    expect(most).toBe(people.length);
  });
});
