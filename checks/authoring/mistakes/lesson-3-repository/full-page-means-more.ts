// Mistake: a full page is taken to mean more rows follow, so an exactly full last page still gets a cursor.

import type { PrismaClient, User } from "@/generated/prisma/client";
import { apiError } from "@/lib/errors";
import { prisma } from "@/lib/prisma";
import { isUniqueViolation } from "@/lib/prisma-errors";
import { transactionGate } from "@/lib/transaction-gate";
import type { CreateUserInput, UpdateUserInput } from "@/schemas/user";

// The only code that knows Prisma. Services ask for users in domain terms and can be tested
// against a fake with the same shape; the database's own errors never travel further than here.

export type { User };
export type UserPage = { users: User[]; nextCursor: bigint | null };
/** Outcome of a change that must leave at least one admin behind. */
export type GuardedResult = { ok: true; user: User } | { ok: false; reason: "not_found" | "last_admin" };

export type UserRepository = {
  findById(id: bigint): Promise<User | null>;
  findByEmail(email: string): Promise<User | null>;
  list(page: { limit: number; cursor?: bigint }): Promise<UserPage>;
  create(data: CreateUserInput): Promise<User>;
  update(id: bigint, data: UpdateUserInput): Promise<GuardedResult>;
  delete(id: bigint): Promise<GuardedResult>;
};

// The only unique column besides the id is email, so any unique violation here means that.
async function mapUniqueViolation<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (isUniqueViolation(error)) throw apiError("EMAIL_EXISTS", "Email already exists", { cause: error });
    throw error;
  }
}

class LastAdminError extends Error {}

export function createUserRepository(db: PrismaClient): UserRepository {
  // Runs a change and rolls it back if it took away the last admin, in one transaction, so two
  // admins removing each other at the same moment cannot both succeed. Only a change to an admin
  // can do that: a database that has no admin yet must still let its users be edited.
  async function keepingAnAdmin(id: bigint, change: (tx: Pick<PrismaClient, "user">) => Promise<User>) {
    try {
      const user = await db.$transaction(async (tx) => {
        const before = await tx.user.findUnique({ where: { id }, select: { role: true } });
        if (!before) return null;
        const changed = await change(tx);
        if (before.role === "admin" && (await tx.user.count({ where: { role: "admin" } })) === 0) {
          throw new LastAdminError();
        }
        return changed;
      });
      return user ? ({ ok: true, user } as const) : ({ ok: false, reason: "not_found" } as const);
    } catch (error) {
      if (error instanceof LastAdminError) return { ok: false, reason: "last_admin" } as const;
      throw error;
    }
  }

  // Queries run outside any transaction; a transaction runs alone (see lib/transaction-gate.ts).
  const { outside, alone } = transactionGate(db);

  return {
    findById: (id) => outside(() => db.user.findUnique({ where: { id } })),
    findByEmail: (email) => outside(() => db.user.findUnique({ where: { email } })),

    list: ({ limit, cursor }) =>
      outside(async () => {
        // One extra row tells whether another page exists without a second query.
        const rows = await db.user.findMany({
          where: cursor === undefined ? undefined : { id: { gt: cursor } },
          orderBy: { id: "asc" },
          take: limit,
        });
        const users = rows.slice(0, limit);
        return { users, nextCursor: rows.length === limit ? users[users.length - 1]!.id : null };
      }),

    create: (data) => outside(() => mapUniqueViolation(db.user.create({ data }))),

    update: (id, data) =>
      alone(() => mapUniqueViolation(keepingAnAdmin(id, (tx) => tx.user.update({ where: { id }, data })))),

    delete: (id) => alone(() => keepingAnAdmin(id, (tx) => tx.user.delete({ where: { id } }))),
  };
}

export const userRepository = createUserRepository(prisma);
