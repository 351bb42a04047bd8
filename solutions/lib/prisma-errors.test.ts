import { describe, expect, it } from "vitest";
import { isUniqueViolation, isUniqueViolationOf, isWriteConflict } from "@/lib/prisma-errors";

// The shapes below are what Prisma 7 really throws through each driver adapter (captured from a
// duplicate insert), cut to the fields that matter.

function p2002(cause: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}) {
  const meta =
    cause === undefined
      ? extra
      : { driverAdapterError: { name: "DriverAdapterError", cause }, modelName: "User", ...extra };
  return Object.assign(new Error("Unique constraint failed"), { code: "P2002", meta });
}

const sqlite = (fields: string[]) =>
  p2002({
    originalCode: "SQLITE_CONSTRAINT_UNIQUE",
    kind: "UniqueConstraintViolation",
    constraint: { fields },
    table: "User",
  });
const postgres = (index: string) =>
  p2002({ originalCode: "23505", kind: "UniqueConstraintViolation", constraint: { index }, table: "User" });

describe("isUniqueViolation", () => {
  it.each([
    ["a P2002 from SQLite", sqlite(["email"]), true],
    ["a P2002 from PostgreSQL", postgres("User_email_key"), true],
    ["another Prisma error", Object.assign(new Error("Record not found"), { code: "P2025" }), false],
    ["a plain Error", new Error("boom"), false],
    ["a string", "P2002", false],
    ["null", null, false],
  ])("%s → %s", (_, error, expected) => {
    expect(isUniqueViolation(error)).toBe(expected);
  });
});

describe("isUniqueViolationOf(error, 'User', 'email')", () => {
  it.each([
    ["SQLite shape, the email column", sqlite(["email"]), true],
    ["SQLite shape, the id column", sqlite(["id"]), false],
    ["SQLite shape, a two-column index holding email", sqlite(["email", "tenant"]), false],
    ["PostgreSQL shape, the email index", postgres("User_email_key"), true],
    ["PostgreSQL shape, the primary key", postgres("User_pkey"), false],
    ["PostgreSQL shape, another model's email index", postgres("Account_email_key"), false],
    ["no adapter, target as columns", p2002(undefined, { target: ["email"] }), true],
    ["no adapter, target as another column", p2002(undefined, { target: ["id"] }), false],
    ["no adapter, target as an index name", p2002(undefined, { target: "User_email_key" }), true],
    ["a P2002 that names no constraint at all", p2002(undefined), true],
    ["not a unique violation", Object.assign(new Error("x"), { code: "P2025", meta: { target: ["email"] } }), false],
  ])("%s → %s", (_, error, expected) => {
    expect(isUniqueViolationOf(error, "User", "email")).toBe(expected);
  });
});

describe("isWriteConflict", () => {
  const adapterError = (kind: string) =>
    Object.assign(new Error(kind), { name: "DriverAdapterError", cause: { originalCode: "40001", kind } });

  it.each([
    [
      "a P2034 from a statement",
      Object.assign(new Error("Transaction failed due to a write conflict"), { code: "P2034" }),
      true,
    ],
    ["the adapter's error, thrown at COMMIT", adapterError("TransactionWriteConflict"), true],
    ["the adapter's error of another kind", adapterError("UniqueConstraintViolation"), false],
    ["another error named like the adapter's", Object.assign(new Error("x"), { name: "DriverAdapterError" }), false],
    ["a unique violation", Object.assign(new Error("x"), { code: "P2002" }), false],
    ["null", null, false],
  ])("%s → %s", (_, error, expected) => {
    expect(isWriteConflict(error)).toBe(expected);
  });
});
