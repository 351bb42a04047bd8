// Prisma reports a unique-constraint violation as an error with code P2002. Its message quotes
// our source code and the duplicate value, so whoever catches one replaces it, never passes it on.
// With a driver adapter the columns are in meta.driverAdapterError.cause.constraint.fields, not
// meta.target, should a caller ever need to tell two unique columns apart.
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}
