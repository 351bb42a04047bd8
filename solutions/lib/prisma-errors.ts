// Prisma reports a unique-constraint violation as an error with code P2002. Its message quotes
// our source code and the duplicate value, so whoever catches one replaces it, never passes it on.
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}

type ViolatedConstraint = { fields?: unknown; index?: unknown };

/**
 * Whether `error` is a unique violation of `model.field`. Through a driver adapter, Prisma says
 * which constraint failed in meta.driverAdapterError.cause.constraint, in one of two shapes: the
 * SQLite adapter gives the columns (`{ fields: ["email"] }`), the PostgreSQL adapter only the
 * index (`{ index: "User_email_key" }`, Prisma's name for a unique index on one field). A P2002
 * that says neither is taken to be about `field`, the only reading a caller could act on.
 */
export function isUniqueViolationOf(error: unknown, model: string, field: string): boolean {
  if (!isUniqueViolation(error)) return false;
  const meta = (
    error as { meta?: { driverAdapterError?: { cause?: { constraint?: ViolatedConstraint } }; target?: unknown } }
  ).meta;
  const constraint = meta?.driverAdapterError?.cause?.constraint;
  if (Array.isArray(constraint?.fields)) return constraint.fields.length === 1 && constraint.fields[0] === field;
  if (typeof constraint?.index === "string") return constraint.index === `${model}_${field}_key`;
  // Without a driver adapter Prisma names the columns (or the index) in meta.target.
  if (Array.isArray(meta?.target)) return meta.target.length === 1 && meta.target[0] === field;
  if (typeof meta?.target === "string") return meta.target === `${model}_${field}_key`;
  return true;
}

/**
 * Whether `error` is the database refusing a transaction because a concurrent one changed what
 * it read (PostgreSQL's serialization failure or deadlock): running it again is the cure. Prisma
 * reports it as P2034 when a statement fails, but a refusal at COMMIT reaches the caller as the
 * driver adapter's own error, of kind TransactionWriteConflict.
 */
export function isWriteConflict(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, name, cause } = error as { code?: unknown; name?: unknown; cause?: { kind?: unknown } };
  return code === "P2034" || (name === "DriverAdapterError" && cause?.kind === "TransactionWriteConflict");
}
