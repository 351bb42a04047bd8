import type { PrismaClient, User } from "@/generated/prisma/client";
import { apiError } from "@/lib/errors";
import { prisma } from "@/lib/prisma";
import { isUniqueViolation } from "@/lib/prisma-errors";
import { transactionGate } from "@/lib/transaction-gate";
import type { CreateUserInput, UpdateUserInput } from "@/schemas/user";
import { notImplemented } from "../not-implemented";

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

export function createUserRepository(db: PrismaClient): UserRepository {
  // Given, not part of the exercise. The SQLite driver adapter runs every query on one
  // connection, and a transaction holds it inside BEGIN while its callback awaits: a query from
  // another request would run inside that transaction, and vanish if it rolled back. So plain
  // queries run `outside(…)` any transaction, and each transaction runs `alone(…)`.
  // (lib/transaction-gate.ts has the details; the README's "In production" says more.)
  const { outside, alone } = transactionGate(db);

  return {
    // TODO: the user with this id, or null. One call: db.user.findUnique({ where: { id } }).
    findById: (id) =>
      outside(async () => {
        return notImplemented("lesson-3", "findById");
      }),

    // TODO: the user with this email, or null (email is a unique column, so findUnique works).
    findByEmail: (email) =>
      outside(async () => {
        return notImplemented("lesson-3", "findByEmail");
      }),

    // TODO: up to `limit` users ordered by id, starting after `cursor` (id greater than it) when
    // one is given. nextCursor is the id of the last user returned when more users follow, and
    // null otherwise. Tip: fetch `limit + 1` rows to learn whether a next page exists.
    list: ({ limit, cursor }) =>
      outside(async () => {
        return notImplemented("lesson-3", "list");
      }),

    // TODO: insert the user and return the new row. When the email is taken Prisma throws an
    // error with code "P2002" (isUniqueViolation from "@/lib/prisma-errors" checks for it):
    // throw apiError("EMAIL_EXISTS", "Email already exists", { cause: error }) instead, never
    // Prisma's message. Rethrow any other error unchanged.
    create: (data) =>
      outside(async () => {
        return notImplemented("lesson-3", "create");
      }),

    // TODO: in ONE transaction (db.$transaction(async (tx) => ...), using tx inside):
    //  - no user with this id: return { ok: false, reason: "not_found" };
    //  - apply the change; a taken email becomes the same 409 EMAIL_EXISTS as in create;
    //  - if the user was an admin and no admin is left now, roll back (throw inside the
    //    transaction) and return { ok: false, reason: "last_admin" };
    //  - otherwise return { ok: true, user } with the updated row.
    update: (id, data) =>
      alone(async () => {
        return notImplemented("lesson-3", "update");
      }),

    // TODO: like update, in one transaction: not_found for a missing id, last_admin (and the row
    // stays) when it would delete the last admin, else { ok: true, user } with the deleted row.
    delete: (id) =>
      alone(async () => {
        return notImplemented("lesson-3", "delete");
      }),
  };
}

export const userRepository = createUserRepository(prisma);
