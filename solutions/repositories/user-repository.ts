import type { PrismaClient, User } from "@/generated/prisma/client";
import { apiError } from "@/lib/errors";
import { prisma } from "@/lib/prisma";
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

// Prisma reports a unique-constraint violation as P2002. Its message quotes our source code and
// the database's own words, so it is replaced, never passed on. The only unique column besides
// the id is email (with a driver adapter the column is named in
// meta.driverAdapterError.cause.constraint.fields, should another unique column ever appear).
function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}

async function mapUniqueViolation<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (isUniqueViolation(error)) throw apiError("EMAIL_EXISTS", "Email already exists", { cause: error });
    throw error;
  }
}

class LastAdminError extends Error {}

// The SQLite driver adapter runs every query on one connection, and an interactive transaction
// holds that connection inside BEGIN for as long as its callback awaits. A query from another
// request issued meanwhile would run inside that transaction: it would read changes that may
// never commit, and a write already acknowledged to its client would vanish if the transaction
// rolled back. So a transaction waits for the operations in flight and has the connection to
// itself. Everything else may run side by side: each is one statement, which SQLite applies
// whole, and Prisma batches simultaneous findUnique calls into one query.
class TransactionGate {
  private running = 0;
  private waitingForIdle: (() => void)[] = [];
  private transactions = 0;
  private queue: Promise<void> = Promise.resolve();

  async outside<T>(operation: () => Promise<T>): Promise<T> {
    while (this.transactions > 0) await this.queue;
    this.running += 1;
    try {
      return await operation();
    } finally {
      this.running -= 1;
      if (this.running === 0) for (const wake of this.waitingForIdle.splice(0)) wake();
    }
  }

  alone<T>(transaction: () => Promise<T>): Promise<T> {
    this.transactions += 1;
    const result = this.queue.then(async () => {
      while (this.running > 0) await new Promise<void>((wake) => this.waitingForIdle.push(wake));
      return transaction();
    });
    this.queue = result.then(
      () => void (this.transactions -= 1),
      () => void (this.transactions -= 1),
    );
    return result;
  }
}

// One gate per client: two repositories over the same client share its connection.
const gates = new WeakMap<object, TransactionGate>();

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

  let gate = gates.get(db);
  if (!gate) gates.set(db, (gate = new TransactionGate()));
  const outside = gate.outside.bind(gate);
  const alone = gate.alone.bind(gate);

  return {
    findById: (id) => outside(() => db.user.findUnique({ where: { id } })),
    findByEmail: (email) => outside(() => db.user.findUnique({ where: { email } })),

    list: ({ limit, cursor }) =>
      outside(async () => {
        // One extra row tells whether another page exists without a second query.
        const rows = await db.user.findMany({
          where: cursor === undefined ? undefined : { id: { gt: cursor } },
          orderBy: { id: "asc" },
          take: limit + 1,
        });
        const users = rows.slice(0, limit);
        return { users, nextCursor: rows.length > limit ? users[users.length - 1]!.id : null };
      }),

    create: (data) => outside(() => mapUniqueViolation(db.user.create({ data }))),

    update: (id, data) =>
      alone(() => mapUniqueViolation(keepingAnAdmin(id, (tx) => tx.user.update({ where: { id }, data })))),

    delete: (id) => alone(() => keepingAnAdmin(id, (tx) => tx.user.delete({ where: { id } }))),
  };
}

export const userRepository = createUserRepository(prisma);
