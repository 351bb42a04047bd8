import { describe, expect, it } from "vitest";
import { type FixtureWorkbook, createFixtureWorkbook, projectRoot } from "../../testing/fixture-workbook.ts";
import { type PassRule, consoleMethodsTested, notesForFile, passesBut } from "./passes-but.ts";
import { isSecretName } from "./passes-but-rules.ts";
import { loadLessons } from "../workbook/lessons.ts";

// Each rule on a realistic learner's file that passes its lesson's tests, and on the same file
// written as the reference writes it. The files sit at their lessons' paths in this project, so
// their imports (`@/lib/guard`, …) resolve to the real reference modules.

const files = {
  route: "lessons/lesson-9-route-handler/user-by-id-route.ts",
  service: "lessons/lesson-4-service/user-service.ts",
  redis: "lessons/lesson-10-scale-out/cache-redis.ts",
  auth: "lessons/lesson-5-auth/auth.ts",
  limiter: "lessons/lesson-6-rate-limiter/rate-limit.ts",
  logger: "lessons/lesson-8-logger/logger.ts",
};

const lines = (...text: string[]) => `${text.join("\n")}\n`;

const deleteRoute = (step: string) =>
  lines(
    'import { NextResponse } from "next/server";',
    'import { guard } from "@/lib/guard";',
    'import { userService } from "@/services/user-service";',
    "export async function DELETE(request: Request, id: bigint) {",
    `  ${step}`,
    "  await userService.deleteUser(id);",
    "  return new NextResponse(null, { status: 204 });",
    "}",
  );

const serviceDelete = (step: string) =>
  lines(
    "export function createUserService(users: { delete(id: bigint): Promise<void> }) {",
    "  const invalidate = async () => {};",
    "  return {",
    "    async deleteUser(id: bigint): Promise<void> {",
    "      await users.delete(id);",
    `      ${step}`,
    "    },",
    "  };",
    "}",
  );

const coherentCache = (step: string) =>
  lines(
    "export class CoherentCache {",
    "  private async announce(key: string): Promise<void> {}",
    "  async invalidatePrefix(prefix: string): Promise<void> {",
    `    ${step}`,
    "  }",
    "}",
  );

const withCatch = (handler: string) =>
  lines("export async function drop(redis: { del(key: string): Promise<number> }, key: string) {", handler, "}");

type Case = [what: string, file: string, learner: string, reference: string, line: number, found: object];

const cases: Record<PassRule, Case[]> = {
  "floating-promise": [
    [
      "an imported async guard called without await",
      files.route,
      deleteRoute('guard(request, ["admin"]);'),
      deleteRoute('await guard(request, ["admin"]);'),
      5,
      { call: "guard(…)" },
    ],
    [
      "an async method of an imported service object, not awaited",
      files.route,
      deleteRoute('await guard(request, ["admin"]);').replace("await userService", "userService"),
      deleteRoute('await guard(request, ["admin"]);'),
      6,
      { call: "userService.deleteUser(…)" },
    ],
    [
      "a local async helper called without await",
      files.service,
      serviceDelete("invalidate();"),
      serviceDelete("await invalidate();"),
      6,
      { call: "invalidate(…)" },
    ],
    [
      "an async method of the same class, not awaited",
      files.redis,
      coherentCache("this.announce(prefix);"),
      coherentCache("await this.announce(prefix);"),
      4,
      { call: "this.announce(…)" },
    ],
    [
      "Promise.all with nothing waiting for it",
      files.redis,
      coherentCache("Promise.all([this.announce(prefix)]);"),
      coherentCache("await Promise.all([this.announce(prefix)]);"),
      4,
      { call: "Promise.all(…)" },
    ],
  ],
  "dropped-error": [
    [
      "an empty catch block",
      files.redis,
      withCatch("  try {\n    await redis.del(key);\n  } catch {}"),
      withCatch("  try {\n    await redis.del(key);\n  } catch {\n    // Redis is optional here.\n  }"),
      4,
      { by: "catch-block" },
    ],
    [
      "an empty .catch() handler",
      files.redis,
      withCatch("  await redis.del(key).catch(() => {});"),
      withCatch("  await redis.del(key).catch(() => {\n    // Best effort: the key expires anyway.\n  });"),
      2,
      { by: "catch-handler" },
    ],
    [
      "a .catch() that only returns undefined",
      files.redis,
      withCatch("  await redis.del(key).catch(() => undefined);"),
      withCatch("  await redis.del(key);"),
      2,
      { by: "catch-handler" },
    ],
  ],
  "secret-in-code": [
    [
      "a fallback secret for the environment's AUTH_SECRET",
      files.auth,
      lines('const secret = process.env.AUTH_SECRET ?? "dev-secret-change-me-0123456789abcdef";'),
      lines('const secret = process.env.AUTH_SECRET ?? "";'),
      1,
      { fallbackFor: "AUTH_SECRET" },
    ],
    [
      "a signing secret in a constant",
      files.auth,
      lines('export const JWT_SECRET = "s3cr3t-signing-key-for-development";'),
      lines('export const TOKEN_ISSUER = "backend-patterns-workbook";'),
      1,
      { name: "JWT_SECRET" },
    ],
    [
      "a real token pasted in for a quick try",
      files.auth,
      lines('const sample = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ";'),
      lines('const sample = "Bearer [REDACTED]";'),
      1,
      { format: "jwt" },
    ],
  ],
  "any-in-signature": [
    [
      "a parameter typed any",
      files.limiter,
      lines("export function hit(key: any): boolean {", "  return key.length > 0;", "}"),
      lines("export function hit(key: string): boolean {", "  return key.length > 0;", "}"),
      1,
      { signature: "hit()" },
    ],
    [
      "a return type holding any",
      files.logger,
      lines("export const redact = (value: unknown): Record<string, any> => ({ value });"),
      lines("export const redact = (value: unknown): Record<string, unknown> => ({ value });"),
      1,
      { signature: "redact()" },
    ],
  ],
  debugger: [
    [
      "a debugger statement",
      files.limiter,
      lines("export function hit(key: string): boolean {", "  debugger;", "  return key.length > 0;", "}"),
      lines("export function hit(key: string): boolean {", "  return key.length > 0;", "}"),
      2,
      {},
    ],
  ],
  "console-log": [
    [
      "a console.log left from debugging",
      files.limiter,
      lines("export function hit(key: string): boolean {", '  console.log("hit", key);', "  return true;", "}"),
      lines("export function hit(key: string): boolean {", "  return true;", "}"),
      2,
      { method: "log" },
    ],
  ],
};

const rows = Object.entries(cases).flatMap(([rule, list]) => list.map((c) => [rule as PassRule, ...c] as const));

describe("passes, but…", () => {
  it.each(rows)("%s: notes %s, at its line", (rule, _what, file, learner, _reference, line, found) => {
    const notes = notesForFile({ root: projectRoot, file, text: learner });
    expect(notes, "one note, from this rule").toEqual([{ rule, ...found, location: `${file}:${line}` }]);
  });

  it.each(rows)("%s: stays quiet on the fix of %s", (_r, _w, file, _l, reference) => {
    expect(notesForFile({ root: projectRoot, file, text: reference })).toEqual([]);
  });
});

describe("passes, but… stays silent where syntax cannot be sure", () => {
  const quiet = (file: string, text: string) => notesForFile({ root: projectRoot, file, text });

  it("a call whose name is bound twice in the file: which one is meant is a question for a type checker", () => {
    const shadowed = deleteRoute("guard();").replace("(request: Request,", "(guard: () => void, request: Request,");
    expect(quiet(files.route, shadowed)).toEqual([]);
  });

  it("a promise sent to the background on purpose with void, and calls to objects it knows nothing of", () => {
    expect(quiet(files.redis, coherentCache("void this.announce(prefix);"))).toEqual([]);
    expect(quiet(files.redis, withCatch("  redis.del(key);"))).toEqual([]);
  });

  it("console.log in a lesson whose tests listen to it, and a console that is not the global one", () => {
    const logging = lines("export function sink(line: string): void {", "  console.log(line);", "}");
    const tests = ['const out = vi.spyOn(console, "log").mockImplementation(() => {});'];
    expect(
      notesForFile({
        root: projectRoot,
        file: files.logger,
        text: logging,
        consoleExpected: consoleMethodsTested(tests),
      }),
    ).toEqual([]);
    expect(
      quiet(files.limiter, lines("export function f(console: { log(x: string): void }) {", '  console.log("x");', "}")),
    ).toEqual([]);
  });

  it("any that is not in a signature, and names and values that only look secret", () => {
    expect(
      quiet(files.limiter, lines("export function f(x: unknown) {", "  const y = x as any;", "  return y;", "}")),
    ).toEqual([]);
    expect(
      quiet(
        files.logger,
        lines(
          'const REDACTED = "[REDACTED]";',
          "const SECRET_KEY = /authorization|token|secret|password/i;",
          'const UNAUTHORIZED_MESSAGE = "Missing or invalid token";',
          'const fields = { password: "password", apiKey: "x-api-key" };',
        ),
      ),
    ).toEqual([]);
  });

  it.each([
    ["AUTH_SECRET", true],
    ["jwtSecret", true],
    ["accessToken", true],
    ["api_key", true],
    ["signingKey", true],
    ["TOKEN_ISSUER", false],
    ["tokenType", false],
    ["secretKeys", false],
    ["passwordHashRounds", false],
  ])("reads the name %s as %s a secret's", (name, secret) => {
    expect(isSecretName(name)).toBe(secret);
  });
});

describe("passesBut on a lesson", () => {
  let workbook: FixtureWorkbook | undefined;

  it("reads the lesson's own files, never its tests, and notes the most important rule first", () => {
    workbook = createFixtureWorkbook();
    try {
      workbook.write(
        "lessons/lesson-1-adder/adder.ts",
        lines(
          "export function add(a: number, b: number): number {",
          "  console.log(a, b);",
          "  debugger;",
          "  return a + b;",
          "}",
          "export const twice = (x: any): number => add(x, x);",
        ),
      );
      workbook.write("lessons/lesson-1-adder/adder.test.ts", lines("debugger;", "export const x = (y: any) => y;"));
      const lesson = loadLessons(workbook.root).lessons[0]!;
      expect(passesBut(workbook.root, lesson).map((note) => [note.rule, note.location])).toEqual([
        ["any-in-signature", "lessons/lesson-1-adder/adder.ts:6"],
        ["debugger", "lessons/lesson-1-adder/adder.ts:3"],
        ["console-log", "lessons/lesson-1-adder/adder.ts:2"],
      ]);
    } finally {
      workbook.remove();
    }
  });

  it("gives no notes, and does not throw, when a file cannot be read", () => {
    workbook = createFixtureWorkbook();
    try {
      workbook.write("lessons/lesson-1-adder/adder.ts", "");
      const lesson = loadLessons(workbook.root).lessons[0]!;
      const missing = { ...lesson, files: [{ stub: "gone.ts", reference: "solutions/gone.ts" }] };
      expect(passesBut(workbook.root, missing)).toEqual([]);
    } finally {
      workbook.remove();
    }
  });
});
