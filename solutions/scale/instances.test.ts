import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { signToken } from "@/lib/auth";

// The API scaled out: two instances of one build on one PostgreSQL database and one Redis. Each
// test spreads its requests over both, the way a load balancer would, and checks what a single
// instance would guarantee still holds for the pair.

const [A, B] = inject("instances") as [string, string];
const secret = inject("instanceAuthSecret");
const limit = inject("instanceRateLimit");

let db: pg.Client;

beforeAll(async () => {
  db = new pg.Client({ connectionString: inject("instanceDatabaseUrl") });
  await db.connect();
});

afterAll(() => db?.end());

let serial = 0;

/** A user written straight to the database, with a token: each test acts as people of its own. */
async function person(role: "user" | "admin", name = `${role} ${++serial}`) {
  const email = `${role}-${serial}-${Date.now()}@scale.example`;
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO "User" (name, email, role, "updatedAt") VALUES ($1, $2, $3, now()) RETURNING id`,
    [name, email, role],
  );
  const id = BigInt(rows[0]!.id);
  return { id, email, token: await signToken({ id }, { secret }) };
}

async function call(base: string, method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const countBy = (statuses: number[]) =>
  Object.fromEntries(
    [...new Set(statuses)].sort().map((status) => [status, statuses.filter((s) => s === status).length]),
  );

describe("two instances, one PostgreSQL and one Redis", () => {
  it(`admit exactly ${limit} of one user's ${2 * limit} requests between them`, async () => {
    const { id, token } = await person("user");
    const statuses = await Promise.all(
      Array.from({ length: 2 * limit }, (_, i) =>
        call(i % 2 ? B : A, "GET", `/api/users/${id}`, token).then((r) => r.status),
      ),
    );
    expect(countBy(statuses)).toEqual({ 200: limit, 429: limit });
  });

  it("show an update made through one instance on the very next read through the other", async () => {
    const admin = await person("admin");
    const { id } = await person("user", "Before");
    // Both instances read the user first, so each may hold it in a cache.
    for (const base of [A, B])
      expect((await call(base, "GET", `/api/users/${id}`, admin.token)).body.user.name).toBe("Before");
    for (const [writer, reader, name] of [
      [A, B, "After A"],
      [B, A, "After B"],
    ] as const) {
      expect((await call(writer, "PATCH", `/api/users/${id}`, admin.token, { name })).status).toBe(200);
      expect((await call(reader, "GET", `/api/users/${id}`, admin.token)).body.user.name).toBe(name);
      const page = await call(reader, "GET", "/api/users?limit=100", admin.token);
      expect(page.body.users.find((user: { id: number }) => user.id === Number(id))?.name).toBe(name);
    }
  });

  it("refuse a demoted admin at once on the other instance", async () => {
    const [first, second] = [await person("admin"), await person("admin")];
    expect((await call(B, "GET", "/api/users?limit=1", second.token)).status).toBe(200);
    expect((await call(A, "PATCH", `/api/users/${second.id}`, first.token, { role: "user" })).status).toBe(200);
    expect((await call(B, "GET", "/api/users?limit=1", second.token)).status).toBe(403);
  });

  it("create one user, and only one, from 100 simultaneous creates with one email", async () => {
    // Two admins share the work, so neither comes near the rate limit.
    const admins = [await person("admin"), await person("admin")];
    const email = `race-${Date.now()}@scale.example`;
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        call(i % 2 ? B : A, "POST", "/api/users", admins[Math.floor(i / 2) % 2]!.token, { name: `Racer ${i}`, email }),
      ),
    );
    expect(countBy(results.map((r) => r.status))).toEqual({ 201: 1, 409: 99 });
    expect(new Set(results.filter((r) => r.status === 409).map((r) => r.body.error.code))).toEqual(
      new Set(["EMAIL_EXISTS"]),
    );
    const { rows } = await db.query(`SELECT COUNT(*)::int AS n FROM "User" WHERE email = $1`, [email]);
    expect(rows[0].n).toBe(1);
  });

  it("keep one admin when the last two demote each other through different instances", async () => {
    for (let round = 0; round < 20; round += 1) {
      // Each round starts with exactly two admins.
      await db.query(`UPDATE "User" SET role = 'user' WHERE role = 'admin'`);
      const [first, second] = [await person("admin"), await person("admin")];
      const [one, two] = await Promise.all([
        call(A, "PATCH", `/api/users/${second.id}`, first.token, { role: "user" }),
        call(B, "PATCH", `/api/users/${first.id}`, second.token, { role: "user" }),
      ]);
      const statuses = [one.status, two.status].sort();
      // One wins; the other is refused: as the last admin (409), or, if the winner's change
      // reached it first, as no longer an admin (403).
      expect(
        [
          [200, 403],
          [200, 409],
        ],
        `round ${round}: ${JSON.stringify([one.body, two.body])}`,
      ).toContainEqual(statuses);
      const { rows } = await db.query(`SELECT COUNT(*)::int AS n FROM "User" WHERE role = 'admin'`);
      expect(rows[0].n, `round ${round}`).toBe(1);
    }
  });
});
