import { z } from "zod";
import { notImplemented } from "../not-implemented";

// The shapes the users API accepts. Strict objects reject unknown fields, so a client can never
// set a column it was not meant to (mass assignment), and emails are normalized before anyone
// compares them.

// A stand-in until you write a schema: it already has the types the finished schema will have
// (what it returns, and what it accepts), so the rest of the file type-checks, but parsing
// anything with it throws NotImplementedError. Replace each whole `placeholder<…>("…")` call
// with your z.… schema; once none is left, delete this function.
function placeholder<Output, Input = Output>(name: string): z.ZodType<Output, Input> {
  // Told its type rather than checked for it: proving a zod pipe fits ZodType<Output, Input>
  // takes the type-checker a fifth of a second on every save, for a schema that only throws.
  return z.any().transform(() => notImplemented("lesson-2", name)) as unknown as z.ZodType<Output, Input>;
}

export const ROLES = ["user", "admin"] as const;
// TODO: one of ROLES, else "Role must be one of: user, admin".
export const roleSchema = placeholder<(typeof ROLES)[number]>("roleSchema");
export type Role = z.infer<typeof roleSchema>;

// TODO: a string ("Name must be a string"), trimmed, then: at least 1 character ("Name is
// required"), at most 100 ("Name must be at most 100 characters"), and none of these, each
// refused with "Name must not contain control characters":
// - control characters (\p{Cc}): NUL, line breaks, tabs, ESC, DEL, the C1 controls; they break
//   logs and terminals;
// - characters that make text display as something else: bidirectional controls
//   (\p{Bidi_Control}: the right-to-left override U+202E, the isolates U+2066–U+2069, the marks
//   U+200E, U+200F and U+061C), line and paragraph separators (\p{Zl}, \p{Zp}: U+2028, U+2029),
//   and a lone half of a surrogate pair (\p{Cs}).
// Emoji made of several code points (with a zero-width joiner inside) are names like any other.
export const nameSchema = placeholder<string>("nameSchema");

// TODO: a string ("Email must be a string"), trimmed and lower-cased, at most 255 characters
// ("Email must be at most 255 characters"), then a valid email ("Enter a valid email").
export const emailSchema = placeholder<string>("emailSchema");

// TODO: a strict object (unknown fields are errors) of name, email, and role, which defaults
// to "user" when it is left out.
export const createUserSchema = placeholder<
  { name: string; email: string; role: Role },
  { name: string; email: string; role?: Role | undefined }
>("createUserSchema");
export type CreateUserInput = z.infer<typeof createUserSchema>;

// TODO: a strict object of the same three fields, each optional, that needs at least one of
// them to be present ("Send at least one of: name, email, role"); a field sent as undefined
// does not count.
export const updateUserSchema = placeholder<{
  name?: string | undefined;
  email?: string | undefined;
  role?: Role | undefined;
}>("updateUserSchema");
export type UpdateUserInput = z.infer<typeof updateUserSchema>;

// Ids are BigInt in the database but numbers in JSON, so only ids that a JSON number can hold
// exactly are valid: up to Number.MAX_SAFE_INTEGER, with no sign, decimals or leading zeros.
// TODO: a string ("Id must be a string") of 1 to 16 digits with no leading zero, else "Id must
// be a positive whole number" (17 digits or more are refused with this message too: no such id
// can exist), then at most Number.MAX_SAFE_INTEGER ("Id is too large": 9007199254740992 has 16
// digits but is one too many), turned into a BigInt. It must never throw: every bad id is a
// validation failure, and each gets exactly one message.
export const idSchema = placeholder<bigint, string>("idSchema");

// TODO: a strict object whose only field, id, is an idSchema.
export const idParamsSchema = placeholder<{ id: bigint }, { id: string }>("idParamsSchema");

// TODO: a strict object of
// - limit: a string of 1 to 3 digits ("Limit must be a whole number from 1 to 100"), turned
//   into a number from 1 ("Limit must be at least 1") to 100 ("Limit must be at most 100"),
//   20 when it is left out;
// - cursor: an optional idSchema.
export const listUsersQuerySchema = placeholder<
  { limit: number; cursor?: bigint | undefined },
  { limit?: string | undefined; cursor?: string | undefined }
>("listUsersQuerySchema");
export type ListUsersQuery = z.infer<typeof listUsersQuerySchema>;
