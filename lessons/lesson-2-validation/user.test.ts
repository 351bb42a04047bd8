import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  createUserSchema,
  emailSchema,
  idParamsSchema,
  idSchema,
  listUsersQuerySchema,
  nameSchema,
  roleSchema,
  updateUserSchema,
  type CreateUserInput,
  type ListUsersQuery,
  type Role,
  type UpdateUserInput,
} from "./user";

const show = (value: unknown) =>
  JSON.stringify(value, (_, v) => (typeof v === "bigint" ? `${v}n` : v)) ?? String(value);

/** What the schema returns for an input it must accept. */
function accepted<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  expect(result.error?.issues, `expected ${show(input)} to be accepted`).toBeUndefined();
  return result.data as z.output<S>;
}

/** The messages for an input the schema must reject, per field ("" is the input as a whole). */
function rejected(schema: z.ZodType, input: unknown): Record<string, string[]> {
  const result = schema.safeParse(input);
  expect(result.success, `expected ${show(input)} to be rejected, got ${show(result.data)}`).toBe(false);
  const messages: Record<string, string[]> = {};
  for (const issue of result.error!.issues) (messages[issue.path.join(".")] ??= []).push(issue.message);
  return messages;
}

/** The fields the schema refused because it does not know them. */
function unknownFields(schema: z.ZodType, input: unknown): string[] {
  const result = schema.safeParse(input);
  expect(result.success, `expected ${show(input)} to be rejected`).toBe(false);
  return result.error!.issues.flatMap((issue) => (issue.code === "unrecognized_keys" ? issue.keys : []));
}

const NOT_A_WHOLE_NUMBER = "Id must be a positive whole number";
const ROLE_MESSAGE = "Role must be one of: user, admin";
const AT_LEAST_ONE = "Send at least one of: name, email, role";

// An email of exactly 255 characters: 64 + "@" + 186 + ".com".
const EMAIL_255 = `${"a".repeat(64)}@${"b".repeat(186)}.com`;

describe("roleSchema", () => {
  it.each(["user", "admin"])("accepts the role %s", (role) => {
    const parsed = accepted(roleSchema, role);
    expect(parsed).toBe(role);
    expectTypeOf(parsed).toEqualTypeOf<Role>();
    expectTypeOf<Role>().toEqualTypeOf<"user" | "admin">();
  });

  it.each(["superuser", "Admin", "", 1, null, undefined])("rejects %j with a message that lists the roles", (role) => {
    expect(rejected(roleSchema, role)).toEqual({ "": [ROLE_MESSAGE] });
  });
});

describe("nameSchema", () => {
  it("accepts a name and trims the spaces around it", () => {
    expect(accepted(nameSchema, "  Ada Lovelace  ")).toBe("Ada Lovelace");
  });

  it("accepts a name of one character", () => {
    expect(accepted(nameSchema, "A")).toBe("A");
  });

  it("accepts a name of exactly 100 characters, counted after trimming", () => {
    expect(accepted(nameSchema, `  ${"a".repeat(100)}  `)).toBe("a".repeat(100));
  });

  it("accepts accents and other scripts", () => {
    expect(accepted(nameSchema, "Zoë Ørsted-李")).toBe("Zoë Ørsted-李");
  });

  it.each([
    ["an empty name", "", "Name is required"],
    ["a name of only spaces", "   ", "Name is required"],
    ["a name of 101 characters", "a".repeat(101), "Name must be at most 100 characters"],
    ["a null byte", "Ada\u0000Lovelace", "Name must not contain control characters"],
    ["a line break", "Ada\nLovelace", "Name must not contain control characters"],
    ["a tab", "Ada\tLovelace", "Name must not contain control characters"],
    ["a terminal escape sequence", "Ada\u001b[2J", "Name must not contain control characters"],
    ["a DEL character", "Ada\u007f", "Name must not contain control characters"],
    ["a C1 control character", "Ada\u0085Lovelace", "Name must not contain control characters"],
    ["a number", 42, "Name must be a string"],
    ["null", null, "Name must be a string"],
  ])("rejects %s", (_, name, message) => {
    expect(rejected(nameSchema, name)).toEqual({ "": [message] });
  });
});

describe("emailSchema", () => {
  it("accepts a valid email", () => {
    expect(accepted(emailSchema, "alice@example.com")).toBe("alice@example.com");
  });

  it("trims and lower-cases an email, so one address always compares equal to itself", () => {
    expect(accepted(emailSchema, "  Alice@Example.COM ")).toBe("alice@example.com");
  });

  it("accepts an email of exactly 255 characters, counted after trimming", () => {
    expect(EMAIL_255).toHaveLength(255);
    expect(accepted(emailSchema, ` ${EMAIL_255} `)).toBe(EMAIL_255);
  });

  it("rejects an email of 256 characters", () => {
    expect(rejected(emailSchema, `a${EMAIL_255}`)).toEqual({ "": ["Email must be at most 255 characters"] });
  });

  it.each(["nope", "ada@", "@example.com", "ada@example", "ada lovelace@example.com", "ada@@example.com", ""])(
    'rejects %j with exactly the message "Enter a valid email"',
    (email) => {
      expect(rejected(emailSchema, email)).toEqual({ "": ["Enter a valid email"] });
    },
  );

  it.each([42, null, undefined])("rejects %j as not a string", (email) => {
    expect(rejected(emailSchema, email)).toEqual({ "": ["Email must be a string"] });
  });
});

describe("createUserSchema", () => {
  it("accepts a name and an email, and gives the role its default, user", () => {
    const input = accepted(createUserSchema, { name: "Alice", email: "alice@example.com" });
    expect(input).toEqual({ name: "Alice", email: "alice@example.com", role: "user" });
    expectTypeOf(input).toEqualTypeOf<CreateUserInput>();
    expectTypeOf<CreateUserInput>().toEqualTypeOf<{ name: string; email: string; role: "user" | "admin" }>();
    expectTypeOf<z.input<typeof createUserSchema>>().toEqualTypeOf<{
      name: string;
      email: string;
      role?: "user" | "admin" | undefined;
    }>();
  });

  it("keeps a role that is sent", () => {
    expect(accepted(createUserSchema, { name: "Root", email: "root@example.com", role: "admin" })).toEqual({
      name: "Root",
      email: "root@example.com",
      role: "admin",
    });
  });

  it("returns the name trimmed and the email trimmed and lower-cased", () => {
    expect(accepted(createUserSchema, { name: "  Alice ", email: " Alice@Example.COM " })).toEqual({
      name: "Alice",
      email: "alice@example.com",
      role: "user",
    });
  });

  it("reports each invalid field under its own name", () => {
    expect(rejected(createUserSchema, { name: "", email: "nope", role: "root" })).toEqual({
      name: ["Name is required"],
      email: ["Enter a valid email"],
      role: [ROLE_MESSAGE],
    });
  });

  it("requires a name and an email", () => {
    expect(rejected(createUserSchema, {})).toEqual({
      name: ["Name must be a string"],
      email: ["Email must be a string"],
    });
  });

  it.each(["id", "isAdmin", "createdAt", "passwordHash"])(
    "rejects the unknown field %s instead of passing it on (mass assignment)",
    (field) => {
      expect(unknownFields(createUserSchema, { name: "Ada", email: "ada@example.com", [field]: true })).toEqual([
        field,
      ]);
    },
  );

  it.each(["__proto__", "constructor"])("rejects %s sent as a field of a JSON body", (field) => {
    const body = JSON.parse(`{ "name": "Ada", "email": "ada@example.com", "${field}": { "role": "admin" } }`);
    expect(unknownFields(createUserSchema, body)).toEqual([field]);
  });

  it.each([null, [], "Alice", 42])("rejects %j: the body must be an object", (body) => {
    expect(Object.keys(rejected(createUserSchema, body))).toEqual([""]);
  });
});

describe("updateUserSchema", () => {
  it.each([{ name: "Ada" }, { email: "ada@example.com" }])("accepts %j on its own", (input) => {
    const parsed = accepted(updateUserSchema, input);
    expect(parsed).toEqual(input);
    expectTypeOf(parsed).toEqualTypeOf<UpdateUserInput>();
    expectTypeOf<UpdateUserInput>().toEqualTypeOf<{
      name?: string | undefined;
      email?: string | undefined;
      role?: "user" | "admin" | undefined;
    }>();
  });

  it("keeps role as a field of its own: whether the caller may change it is the service's decision", () => {
    expect(accepted(updateUserSchema, { role: "admin" })).toEqual({ role: "admin" });
  });

  it("gives role no default, so an update never changes a role it was not sent", () => {
    const parsed = accepted(updateUserSchema, { name: "Ada" });
    expect("role" in parsed, "an update without role must not contain role").toBe(false);
  });

  it("accepts all three fields and normalizes them as createUserSchema does", () => {
    expect(accepted(updateUserSchema, { name: " Ada ", email: " ADA@Example.com ", role: "admin" })).toEqual({
      name: "Ada",
      email: "ada@example.com",
      role: "admin",
    });
  });

  it("needs at least one field", () => {
    expect(rejected(updateUserSchema, {})).toEqual({ "": [AT_LEAST_ONE] });
  });

  it("does not count a field sent as undefined", () => {
    expect(rejected(updateUserSchema, { name: undefined })).toEqual({ "": [AT_LEAST_ONE] });
  });

  it("accepts one field when the others are sent as undefined", () => {
    expect(accepted(updateUserSchema, { name: "Ada", email: undefined })).toEqual({ name: "Ada" });
  });

  it("checks each field it is sent", () => {
    expect(rejected(updateUserSchema, { name: "", email: "nope", role: "root" })).toEqual({
      name: ["Name is required"],
      email: ["Enter a valid email"],
      role: [ROLE_MESSAGE],
    });
  });

  it.each(["id", "isAdmin", "createdAt"])("rejects the unknown field %s (mass assignment)", (field) => {
    expect(unknownFields(updateUserSchema, { name: "Ada", [field]: true })).toEqual([field]);
  });

  it.each(["__proto__", "constructor"])("rejects %s sent as a field of a JSON body", (field) => {
    const body = JSON.parse(`{ "name": "Ada", "${field}": { "role": "admin" } }`);
    expect(unknownFields(updateUserSchema, body)).toEqual([field]);
  });
});

describe("idSchema", () => {
  it.each([
    ["1", 1n],
    ["42", 42n],
    ["9007199254740991", 9007199254740991n],
  ])("turns %j into the BigInt %s", (id, expected) => {
    const parsed = accepted(idSchema, id);
    expect(parsed).toBe(expected);
    expectTypeOf(parsed).toEqualTypeOf<bigint>();
    expectTypeOf<z.input<typeof idSchema>>().toEqualTypeOf<string>();
  });

  it.each([
    ["letters", "abc"],
    ["a negative number", "-1"],
    ["a decimal", "1.5"],
    ["zero", "0"],
    ["a leading zero", "01"],
    ["an empty string", ""],
    ["a plus sign", "+1"],
    ["a space", " 1"],
    ["an exponent", "1e3"],
    ["a hex number", "0x1f"],
    ["17 digits", "1".repeat(17)],
    ["25 digits", "1".repeat(25)],
  ])("rejects %s (%j) as not a positive whole number, without throwing", (_, id) => {
    expect(rejected(idSchema, id)).toEqual({ "": [NOT_A_WHOLE_NUMBER] });
  });

  it.each(["9007199254740992", "9999999999999999"])("rejects %j, above Number.MAX_SAFE_INTEGER, as too large", (id) => {
    expect(rejected(idSchema, id)).toEqual({ "": ["Id is too large"] });
  });

  it.each([42, null, undefined, 1n])("rejects %s: an id must be a string", (id) => {
    expect(rejected(idSchema, id)).toEqual({ "": ["Id must be a string"] });
  });

  it("makes parse() throw a ZodError, which the error handler answers with 400", () => {
    expect(() => idSchema.parse("abc")).toThrow(z.ZodError);
  });
});

describe("idParamsSchema", () => {
  it('turns { id: "42" } into { id: 42n }', () => {
    const parsed = accepted(idParamsSchema, { id: "42" });
    expect(parsed).toEqual({ id: 42n });
    expectTypeOf(parsed).toEqualTypeOf<{ id: bigint }>();
  });

  it("reports a bad id under the field id", () => {
    expect(rejected(idParamsSchema, { id: "abc" })).toEqual({ id: [NOT_A_WHOLE_NUMBER] });
  });

  it("requires an id", () => {
    expect(rejected(idParamsSchema, {})).toEqual({ id: ["Id must be a string"] });
  });

  it("rejects unknown params", () => {
    expect(unknownFields(idParamsSchema, { id: "1", slug: "ada" })).toEqual(["slug"]);
  });
});

describe("listUsersQuerySchema", () => {
  it("defaults limit to 20 and leaves the cursor out", () => {
    const query = accepted(listUsersQuerySchema, {});
    expect(query).toStrictEqual({ limit: 20 });
    expectTypeOf(query).toEqualTypeOf<ListUsersQuery>();
    expectTypeOf<ListUsersQuery>().toEqualTypeOf<{ limit: number; cursor?: bigint | undefined }>();
  });

  it.each([
    ["1", 1],
    ["20", 20],
    ["100", 100],
  ])("turns limit %j into the number %i", (limit, expected) => {
    expect(accepted(listUsersQuerySchema, { limit })).toEqual({ limit: expected });
  });

  it.each([
    ["0", "Limit must be at least 1"],
    ["101", "Limit must be at most 100"],
    ["abc", "Limit must be a whole number from 1 to 100"],
    ["1.5", "Limit must be a whole number from 1 to 100"],
    ["-1", "Limit must be a whole number from 1 to 100"],
    ["", "Limit must be a whole number from 1 to 100"],
    ["1000", "Limit must be a whole number from 1 to 100"],
    ["1e2", "Limit must be a whole number from 1 to 100"],
  ])("rejects limit %j", (limit, message) => {
    expect(rejected(listUsersQuerySchema, { limit })).toEqual({ limit: [message] });
  });

  it("turns a cursor into a BigInt id", () => {
    expect(accepted(listUsersQuerySchema, { cursor: "42" })).toEqual({ limit: 20, cursor: 42n });
  });

  it("accepts a limit and a cursor together", () => {
    expect(accepted(listUsersQuerySchema, { limit: "5", cursor: "10" })).toEqual({ limit: 5, cursor: 10n });
  });

  it.each([
    ["0", NOT_A_WHOLE_NUMBER],
    ["abc", NOT_A_WHOLE_NUMBER],
    ["9007199254740992", "Id is too large"],
  ])("rejects the cursor %j as it rejects an id", (cursor, message) => {
    expect(rejected(listUsersQuerySchema, { cursor })).toEqual({ cursor: [message] });
  });

  it("rejects unknown query parameters", () => {
    expect(unknownFields(listUsersQuerySchema, { page: "2" })).toEqual(["page"]);
  });
});

describe("nameSchema: characters that display as something else", () => {
  it.each([
    ["a right-to-left override", "Ada\u202Eexe.txt"],
    ["a left-to-right isolate", "Ada\u2066Lovelace"],
    ["a right-to-left mark", "Ada\u200FLovelace"],
    ["an Arabic letter mark", "Ada\u061CLovelace"],
    ["a line separator", "Ada\u2028Lovelace"],
    ["a paragraph separator", "Ada\u2029Lovelace"],
    ["a lone surrogate", "Ada\uD800Lovelace"],
  ])("rejects %s", (_, name) => {
    expect(rejected(nameSchema, name)).toEqual({ "": ["Name must not contain control characters"] });
  });

  it("accepts emoji made of several code points, and a zero-width joiner inside them", () => {
    expect(accepted(nameSchema, "Ada 👩‍💻")).toBe("Ada 👩‍💻");
  });
});
