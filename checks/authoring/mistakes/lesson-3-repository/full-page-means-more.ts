// Mistake: a full page is taken to mean more rows follow, so an exactly full last page still gets a cursor.

import type { PrismaClient, User } from "@/generated/prisma/client";
import { apiError } from "@/lib/errors";
import { logger } from "@/lib/logger";
import { clientKind, prisma } from "@/lib/prisma";
import { isUniqueViolationOf, isWriteConflict } from "@/lib/prisma-errors";
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

// The email's unique index is the one a client can run into. Any other unique violation (the
// id, say, after rows were copied in with their ids) is not the client's doing: it goes on, as
// a generic 409 without the database's message (lib/errors.ts).
async function mapUniqueViolation<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (isUniqueViolationOf(error, "User", "email"))
      throw apiError("EMAIL_EXISTS", "Email already exists", { cause: error });
    throw error;
  }
}

class LastAdminError extends Error {}

// PostgreSQL refuses one of two SERIALIZABLE transactions whose results depend on each other's
// writes (a write conflict). Running the refused one again is the cure: it now sees the
// other's change. The pause, random, keeps two retries from colliding again in step.
// A storm of concurrent changes can still refuse every attempt. Nothing was written and nothing
// is broken, so the client gets 409 CONFLICT, to try again, rather than a 500; the database's
// own error goes to the log only.
const SERIALIZATION_ATTEMPTS = 10;

async function retryingConflicts<T>(transaction: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await transaction();
    } catch (error) {
      if (!isWriteConflict(error)) throw error;
      if (attempt >= SERIALIZATION_ATTEMPTS) {
        logger.warn({ msg: "transaction refused as a write conflict on every attempt", attempts: attempt, err: error });
        throw apiError("CONFLICT", "The change conflicted with another change made at the same time; try again", {
          cause: error,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}

// Where every query has a connection of its own (PostgreSQL's pool), nothing needs gating.
const ungated = {
  outside: <T>(operation: () => Promise<T>) => operation(),
  alone: <T>(operation: () => Promise<T>) => operation(),
};

export function createUserRepository(db: PrismaClient): UserRepository {
  // Runs a change and rolls it back if it took away the last admin, in one transaction, so two
  // admins removing each other at the same moment cannot both succeed. Only a change to an admin
  // can do that: a database that has no admin yet must still let its users be edited.
  // SERIALIZABLE matters on PostgreSQL, where two such transactions run at once and each, on its
  // own, still sees the other admin; SQLite runs one transaction at a time and is serializable.
  async function keepingAnAdmin(id: bigint, change: (tx: Pick<PrismaClient, "user">) => Promise<User>) {
    try {
      const user = await retryingConflicts(() =>
        db.$transaction(
          async (tx) => {
            const before = await tx.user.findUnique({ where: { id }, select: { role: true } });
            if (!before) return null;
            const changed = await change(tx);
            if (before.role === "admin" && (await tx.user.count({ where: { role: "admin" } })) === 0) {
              throw new LastAdminError();
            }
            return changed;
          },
          { isolationLevel: "Serializable" },
        ),
      );
      return user ? ({ ok: true, user } as const) : ({ ok: false, reason: "not_found" } as const);
    } catch (error) {
      if (error instanceof LastAdminError) return { ok: false, reason: "last_admin" } as const;
      throw error;
    }
  }

  // On SQLite's one connection, queries run outside any transaction and a transaction runs
  // alone (see lib/transaction-gate.ts).
  const { outside, alone } = clientKind(db) === "sqlite" ? transactionGate(db) : ungated;

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
