import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import type { PrismaClient } from "@/generated/prisma/client";
import { ApiError, errorResponse } from "@/lib/errors";
import { type Logger, logger } from "@/lib/logger";
import { prisma } from "@/lib/prisma";
import { createUserRepository } from "@/repositories/user-repository";
import { createUser, resetUsers } from "@/testing/fixtures";

// The last-admin transaction, refused as a write conflict: what PostgreSQL does to one of two
// SERIALIZABLE transactions that depend on each other. The refusals are injected in front of
// the test's SQLite database, so no PostgreSQL is needed; lessons/lesson-3-repository tests the
// rest of the repository.

/** SERIALIZATION_ATTEMPTS in user-repository.ts. */
const ATTEMPTS = 10;

// Both shapes a conflict reaches us in: a failed statement, and a refused COMMIT.
const conflicts = {
  "a P2034 from a statement": () =>
    Object.assign(new Error('Transaction failed due to a write conflict or a deadlock on "public"."User"'), {
      code: "P2034",
    }),
  "a refused COMMIT": () =>
    Object.assign(new Error("could not serialize access due to read/write dependencies among transactions"), {
      name: "DriverAdapterError",
      cause: { kind: "TransactionWriteConflict" },
    }),
};

/** The test database, whose first `refusals` transactions are refused with `conflict()`. */
function refusingTransactions(refusals: number, conflict: () => Error) {
  let attempts = 0;
  const transaction = vi.fn((...args: unknown[]) => {
    attempts += 1;
    if (attempts <= refusals) return Promise.reject(conflict());
    return (prisma.$transaction as (...a: unknown[]) => Promise<unknown>).apply(prisma, args);
  });
  const db = new Proxy(prisma, {
    get: (target, key) => (key === "$transaction" ? transaction : Reflect.get(target, key)),
  }) as PrismaClient;
  return { users: createUserRepository(db), transaction };
}

const changes = {
  update: (users: ReturnType<typeof createUserRepository>, id: bigint) => users.update(id, { name: "Renamed" }),
  delete: (users: ReturnType<typeof createUserRepository>, id: bigint) => users.delete(id),
};

let warnings: MockInstance<Logger["warn"]>;

beforeEach(async () => {
  await resetUsers();
  warnings = vi.spyOn(logger, "warn").mockImplementation(() => {});
});

afterEach(() => {
  warnings.mockRestore();
});

describe.each(Object.entries(conflicts))("the last-admin transaction refused with %s", (_, conflict) => {
  it.each(Object.keys(changes) as (keyof typeof changes)[])(
    "%s: on every attempt, gives up after the bounded number of attempts with 409 CONFLICT",
    async (change) => {
      const admin = await createUser({ email: "admin@example.com", role: "admin" });
      const { users, transaction } = refusingTransactions(Number.POSITIVE_INFINITY, conflict);

      const error = await changes[change](users, admin.id).then(
        () => expect.fail("expected the change to be refused"),
        (thrown: unknown) => thrown,
      );

      expect(transaction).toHaveBeenCalledTimes(ATTEMPTS);
      expect(error).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({
        statusCode: 409,
        code: "CONFLICT",
        message: "The change conflicted with another change made at the same time; try again",
      });
      // The client is told to try again; the database's words reach the log only.
      const response = errorResponse(error);
      expect(response.status).toBe(409);
      const body = await response.text();
      expect(JSON.parse(body).error).toMatchObject({ code: "CONFLICT" });
      expect(body).not.toMatch(/serializ|P2034|write conflict|User"/i);
      expect(warnings).toHaveBeenCalledOnce();
      expect(warnings.mock.calls[0]![0]).toMatchObject({ attempts: ATTEMPTS, err: (error as ApiError).cause });
      expect((error as ApiError).cause).toBeInstanceOf(Error);
      // Nothing was written.
      expect(await prisma.user.findUnique({ where: { id: admin.id } })).toMatchObject({ name: admin.name });
    },
  );

  it.each([
    ["update", 3],
    ["delete", 3],
    ["update", ATTEMPTS - 1],
  ] as const)("%s: refused %i times, then let through, returns the result", async (change, refusals) => {
    await createUser({ email: "admin@example.com", role: "admin" });
    const grace = await createUser({ email: "grace@example.com", name: "Grace", role: "user" });
    const { users, transaction } = refusingTransactions(refusals, conflict);

    const result = await changes[change](users, grace.id);

    expect(result).toEqual({ ok: true, user: expect.objectContaining({ id: grace.id }) });
    if (change === "update") expect(result).toMatchObject({ user: { name: "Renamed" } });
    expect(transaction).toHaveBeenCalledTimes(refusals + 1);
    expect(warnings).not.toHaveBeenCalled();
    const row = await prisma.user.findUnique({ where: { id: grace.id } });
    expect(row === null ? "deleted" : row.name).toBe(change === "delete" ? "deleted" : "Renamed");
  });
});

describe("the last-admin transaction failing for another reason", () => {
  it("is not retried: the error goes on as it is", async () => {
    const admin = await createUser({ email: "admin@example.com", role: "admin" });
    const locked = Object.assign(new Error("database is locked"), { code: "P1008" });
    const { users, transaction } = refusingTransactions(Number.POSITIVE_INFINITY, () => locked);

    await expect(users.update(admin.id, { name: "Renamed" })).rejects.toBe(locked);
    expect(transaction).toHaveBeenCalledOnce();
  });
});
