import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { decodeJwt, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from "@/lib/auth";
import { runCommand, runTsx } from "@/testing/run-script";
import { migrateAndSeed } from "../../prisma/dev-database";

// `npm run -s token -- <email>` against a seeded database of its own. The script only reads the
// database, so one database serves every test.

const SECRET = randomBytes(32).toString("base64url");
const USAGE = "Usage: npm run -s token -- <email> [--expires 1h]\n";

let dir: string;
let file: string;
let ids: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "workbook-token-"));
  file = path.join(dir, "dev.db");
  await migrateAndSeed(file);
  const db = new Database(file, { readonly: true });
  ids = Object.fromEntries(
    (db.prepare(`SELECT email, id FROM "User"`).all() as { email: string; id: number }[]).map((u) => [
      u.email,
      String(u.id),
    ]),
  );
  db.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const token = (args: string[], databaseFile = file) =>
  runTsx("solutions/scripts/token.ts", args, { env: { DATABASE_URL: `file:${databaseFile}`, AUTH_SECRET: SECRET } });

async function verified(jwt: string) {
  const { payload } = await jwtVerify(jwt, new TextEncoder().encode(SECRET), {
    issuer: TOKEN_ISSUER,
    audience: TOKEN_AUDIENCE,
  });
  return payload;
}

describe("npm run -s token", { timeout: 30_000 }, () => {
  it("prints exactly one line, a valid token for that user, and nothing else", async () => {
    const result = await runCommand("npm", ["run", "-s", "token", "--", "admin@example.com"], {
      env: { DATABASE_URL: `file:${file}`, AUTH_SECRET: SECRET },
    });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const payload = await verified(result.stdout.trim());
    expect(payload.sub).toBe(ids["admin@example.com"]);
    expect(payload.exp! - payload.iat!).toBe(3600);
  });

  it("finds the user whatever the case of the email and spaces around it", async () => {
    const result = await token(["  Grace@Example.COM "]);
    expect(result.code).toBe(0);
    expect((await verified(result.stdout.trim())).sub).toBe(ids["grace@example.com"]);
  });

  it.each([
    ["15m", 15 * 60],
    ["7d", 7 * 24 * 3600],
    ["2 hours", 2 * 3600],
  ])("makes a token that expires after --expires %s", async (expires, seconds) => {
    const result = await token(["admin@example.com", "--expires", expires]);
    const { exp, iat } = decodeJwt(result.stdout.trim());
    expect(exp! - iat!).toBe(seconds);
  });

  it("exits 1 with one clear line for an email no user has", async () => {
    const result = await token(["nobody@example.com"]);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr:
        'No user with email "nobody@example.com". Seeded users include admin@example.com and grace@example.com.\n',
    });
  });

  it.each([
    ["no email", []],
    ["two emails", ["admin@example.com", "grace@example.com"]],
    ["--expires without a duration", ["admin@example.com", "--expires"]],
  ])("prints the usage line and exits 1 for %s", async (_, args) => {
    expect(await token(args)).toEqual({ code: 1, stdout: "", stderr: USAGE });
  });

  it("exits 1 with one line for a duration it cannot read", async () => {
    expect(await token(["admin@example.com", "--expires", "soon"])).toEqual({
      code: 1,
      stdout: "",
      stderr: `--expires takes a duration such as 15m, 1h or 7d. ${USAGE}`,
    });
  });

  it("exits 1 with one line naming a missing database file and the fix", async () => {
    const missing = path.join(dir, "missing.db");
    expect(await token(["admin@example.com"], missing)).toEqual({
      code: 1,
      stdout: "",
      stderr: `Could not read the database: Database file ${missing} does not exist. Run \`npm run db:reset\` to create it.\n`,
    });
  });

  it("exits 1 with one line when the database has no tables yet", async () => {
    const empty = path.join(dir, "empty.db");
    new Database(empty).close();
    const result = await token(["admin@example.com"], empty);
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr).toBe(
      "Could not read the database: The table `main.User` does not exist in the current database. Run `npm run db:reset` to create it.\n",
    );
  });
});
