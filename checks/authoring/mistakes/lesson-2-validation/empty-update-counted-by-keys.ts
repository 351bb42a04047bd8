// Mistake: "at least one field" counts keys, so a field sent as undefined counts as sent.

import { z } from "zod";

// The shapes the users API accepts. Strict objects reject unknown fields, so a client can never
// set a column it was not meant to (mass assignment), and emails are normalized before anyone
// compares them.

export const ROLES = ["user", "admin"] as const;
export const roleSchema = z.enum(ROLES, { error: "Role must be one of: user, admin" });
export type Role = z.infer<typeof roleSchema>;

// Control characters in a display name break logs and terminals and are never intended. Nor
// are the bidirectional controls, which make text display in another order than it is stored
// ("\u202Eexe.txt" shows as "txt.exe"), line and paragraph separators, or a lone half of a
// surrogate pair, which no encoding can store as it was sent.
const NO_CONTROL_CHARACTERS = /^[^\p{Cc}\p{Bidi_Control}\p{Zl}\p{Zp}\p{Cs}]*$/u;

export const nameSchema = z
  .string({ error: "Name must be a string" })
  .trim()
  .min(1, "Name is required")
  .max(100, "Name must be at most 100 characters")
  .regex(NO_CONTROL_CHARACTERS, "Name must not contain control characters");

export const emailSchema = z
  .string({ error: "Email must be a string" })
  .trim()
  .toLowerCase()
  .max(255, "Email must be at most 255 characters")
  .pipe(z.email({ error: "Enter a valid email" }));

export const createUserSchema = z.strictObject({
  name: nameSchema,
  email: emailSchema,
  role: roleSchema.default("user"),
});
export type CreateUserInput = z.infer<typeof createUserSchema>;

export const updateUserSchema = z
  .strictObject({ name: nameSchema.optional(), email: emailSchema.optional(), role: roleSchema.optional() })
  .refine((input) => Object.keys(input).length > 0, {
    error: "Send at least one of: name, email, role",
  });
export type UpdateUserInput = z.infer<typeof updateUserSchema>;

// Ids are BigInt in the database but numbers in JSON, so only ids that a JSON number can hold
// exactly are valid: up to Number.MAX_SAFE_INTEGER, with no sign, decimals or leading zeros.
export const idSchema = z
  .string({ error: "Id must be a string" })
  // abort: the size check below would call "abc" too large as well.
  .regex(/^[1-9][0-9]{0,15}$/, { error: "Id must be a positive whole number", abort: true })
  .refine((id) => Number(id) <= Number.MAX_SAFE_INTEGER, "Id is too large")
  .transform((id) => BigInt(id));

export const idParamsSchema = z.strictObject({ id: idSchema });

export const listUsersQuerySchema = z.strictObject({
  limit: z
    .string()
    .regex(/^[0-9]{1,3}$/, "Limit must be a whole number from 1 to 100")
    .transform(Number)
    .pipe(z.number().min(1, "Limit must be at least 1").max(100, "Limit must be at most 100"))
    .default(20),
  cursor: idSchema.optional(),
});
export type ListUsersQuery = z.infer<typeof listUsersQuerySchema>;
