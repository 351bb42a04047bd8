import fc from "fast-check";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as health from "@/app/api/health/route";
import * as user from "@/app/api/users/[id]/route";
import * as users from "@/app/api/users/route";
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from "@/lib/auth";
import { prisma } from "@/lib/prisma";
import { BASE_URL, params, tokenFor } from "@/testing/fixtures";
import { openRawUsers, type RawUsers } from "@/testing/raw-users";
import { NextRequest } from "next/server";
import { contractViolations, type Route } from "./contract";

// Generated bad input, thrown at the route handlers on a real database (SQLite here; the
// scale-out suite runs this file again on PostgreSQL): arbitrary JSON and
// non-JSON bodies, wrong types, huge and empty strings, unicode and control characters,
// __proto__/constructor keys, arbitrary ids, query strings and headers, and every kind of token.
// Each response must keep the documented contract, and a rejected request must change nothing.

const RUNS = 10_000;

const handlers: Record<
  Route,
  (request: NextRequest, context: { params: Promise<{ id: string }> }) => Promise<Response>
> = {
  "GET /api/health": health.GET,
  "GET /api/users": users.GET,
  "POST /api/users": users.POST,
  "GET /api/users/[id]": user.GET,
  "PATCH /api/users/[id]": user.PATCH,
  "DELETE /api/users/[id]": user.DELETE,
};

// The same people before every generated request: an admin, two users, and an id nobody has.
const ADMIN_ID = 1n;
const ALICE_ID = 2n;
const BOB_ID = 3n;
const MISSING_ID = 99n;
const BASELINE = [
  { id: ADMIN_ID, name: "Ada Admin", email: "admin@example.com", role: "admin" },
  { id: ALICE_ID, name: "Alice", email: "alice@example.com", role: "user" },
  { id: BOB_ID, name: "Bob", email: "bob@example.com", role: "user" },
] as const;

let raw: RawUsers;
let baseline: string;
let tokens: Record<string, string>;
let sent = 0;

const encode = (s: string) => new TextEncoder().encode(s);
const base64url = (s: string) => Buffer.from(s).toString("base64url");

beforeAll(async () => {
  for (const person of BASELINE) await prisma.user.create({ data: person });
  raw = await openRawUsers();
  baseline = await raw.snapshot();
  // The ids above were given, not drawn: restoring moves PostgreSQL's id sequence past them.
  await raw.restore(baseline);

  const admin = await tokenFor({ id: ADMIN_ID });
  const [header, , signature] = admin.split(".");
  const claims = {
    sub: String(ADMIN_ID),
    iss: TOKEN_ISSUER,
    aud: TOKEN_AUDIENCE,
    exp: Math.floor(Date.now() / 1000) + 3600,
  };
  tokens = {
    admin,
    alice: await tokenFor({ id: ALICE_ID }),
    bob: await tokenFor({ id: BOB_ID }),
    missingUser: await tokenFor({ id: MISSING_ID }),
    expired: await tokenFor({ id: ADMIN_ID }, { expiresIn: -60 }),
    notYetValid: await tokenFor({ id: ADMIN_ID }, { notBefore: "1h" }),
    wrongSecret: await tokenFor({ id: ADMIN_ID }, { secret: "a-completely-different-secret-0123456789" }),
    algNone: `${base64url('{"alg":"none","typ":"JWT"}')}.${base64url(JSON.stringify(claims))}.`,
    tamperedSubject: `${header}.${base64url(JSON.stringify({ ...claims, sub: String(ALICE_ID) }))}.${signature}`,
    roleClaim: await new SignJWT({ role: "admin" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(String(ALICE_ID))
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setExpirationTime("1h")
      .sign(encode("a-completely-different-secret-0123456789")),
  };
  Object.assign(ACTORS, { [tokens.admin!]: ADMIN_ID, [tokens.alice!]: ALICE_ID, [tokens.bob!]: BOB_ID });
});

afterAll(() => raw?.close());

// ---- generators ---------------------------------------------------------------------------

const hugeString = fc.integer({ min: 64 * 1024 - 64, max: 70 * 1024 }).map((n) => "x".repeat(n));
const controlString = fc.string({
  unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
  minLength: 1,
});

/** Strings of every kind a client might put where text is expected. */
const text = fc.oneof(
  { arbitrary: fc.string(), weight: 4 },
  { arbitrary: fc.string({ unit: "grapheme" }), weight: 2 },
  { arbitrary: fc.string({ unit: "binary" }), weight: 2 },
  { arbitrary: controlString, weight: 1 },
  { arbitrary: fc.emailAddress(), weight: 2 },
  { arbitrary: fc.emailAddress().map((e) => `${e}\u0000`), weight: 1 },
  {
    arbitrary: fc.constantFrom(
      "",
      " ",
      "\t\n",
      "\u200b",
      "\u202e",
      "admin@example.com",
      "ALICE@EXAMPLE.COM ",
      "x".repeat(256),
    ),
    weight: 2,
  },
  { arbitrary: fc.string({ minLength: 90, maxLength: 400 }), weight: 1 },
);

const anyValue = fc.oneof(
  { arbitrary: text, weight: 5 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 2 },
  {
    arbitrary: fc.constantFrom(null, true, false, 0, -1, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 2, [], {}),
    weight: 1,
  },
);

const dangerousKey = fc.constantFrom(
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "Role",
  "ROLE",
  "role ",
  "isAdmin",
  "id",
  "createdAt",
);
const key = fc.oneof(fc.constantFrom("name", "email", "role"), dangerousKey, fc.string({ maxLength: 12 }));

/** A body as raw text or bytes, so keys such as __proto__ reach the server as sent. */
const body: fc.Arbitrary<{ kind: string; data?: string | Uint8Array }> = fc.oneof(
  { arbitrary: fc.constant({ kind: "none" }), weight: 2 },
  { arbitrary: fc.constant({ kind: "empty", data: "" }), weight: 1 },
  {
    arbitrary: fc
      .tuple(
        fc.record({ name: anyValue, email: anyValue, role: anyValue }, { requiredKeys: [] }),
        fc.array(fc.tuple(key, anyValue), { maxLength: 3 }),
      )
      .map(([known, extra]) => ({
        kind: "object",
        data: `{${[...Object.entries(known), ...extra].map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? "null"}`).join(",")}}`,
      })),
    weight: 8,
  },
  {
    arbitrary: fc
      .record({ name: text, email: fc.emailAddress(), role: fc.constantFrom("user", "admin") }, { requiredKeys: [] })
      .map((fields) => ({ kind: "plausible", data: JSON.stringify(fields) })),
    weight: 3,
  },
  {
    // Valid input too, so that requests get past validation to the service and the database.
    arbitrary: fc
      .record({
        name: fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }).filter((name) => name.trim().length > 0),
        email: fc
          .tuple(fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,15}$/), fc.stringMatching(/^[a-z0-9]{1,10}$/))
          .map(([local, domain]) => `${local}@${domain}.example`),
        role: fc.constantFrom("user", "admin"),
      })
      .map((fields) => ({ kind: "valid", data: JSON.stringify(fields) })),
    weight: 3,
  },
  {
    arbitrary: fc
      .tuple(dangerousKey, fc.constantFrom('{"role":"admin"}', '{"prototype":{"role":"admin"}}', '"admin"', "null"))
      .map(([k, v]) => ({ kind: "pollution", data: `{"name":"Mallory",${JSON.stringify(k)}:${v}}` })),
    weight: 2,
  },
  { arbitrary: fc.jsonValue().map((v) => ({ kind: "json", data: JSON.stringify(v) })), weight: 3 },
  { arbitrary: fc.string({ unit: "binary" }).map((s) => ({ kind: "text", data: s })), weight: 2 },
  { arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ kind: "bytes", data: bytes })), weight: 1 },
  {
    arbitrary: hugeString.map((s) => ({ kind: "huge", data: JSON.stringify({ name: s, email: "big@example.com" }) })),
    weight: 1,
  },
);

const auth = fc.oneof(
  { arbitrary: fc.constantFrom("admin", "alice", "bob").map((who) => `Bearer ${tokens[who]}`), weight: 12 },
  {
    arbitrary: fc
      .constantFrom(
        ...["missingUser", "expired", "notYetValid", "wrongSecret", "algNone", "tamperedSubject", "roleClaim"],
      )
      .map((t) => `Bearer ${tokens[t]}`),
    weight: 3,
  },
  { arbitrary: fc.constantFrom("admin", "alice").map((who) => `bearer ${tokens[who]}`), weight: 1 },
  {
    arbitrary: fc.constantFrom(
      undefined,
      "",
      "Bearer",
      "Bearer ",
      "Basic YWRtaW46YWRtaW4=",
      "Token abc",
      "Bearer a.b.c",
      "Bearer null",
    ),
    weight: 2,
  },
  { arbitrary: fc.string({ unit: "binary-ascii" }).map((s) => s.replace(/[\r\n\0]/g, "")), weight: 1 },
);

const id = fc.oneof(
  { arbitrary: fc.constantFrom(ADMIN_ID, ALICE_ID, BOB_ID, MISSING_ID).map(String), weight: 6 },
  {
    arbitrary: fc.constantFrom(
      "0",
      "-1",
      "01",
      "1.0",
      "1e3",
      " 1",
      "0x1",
      "9007199254740991",
      "9007199254740992",
      "99999999999999999999",
      "__proto__",
      "constructor",
      "",
      "%00",
      "NaN",
      "Infinity",
    ),
    weight: 2,
  },
  { arbitrary: fc.bigInt().map(String), weight: 1 },
  { arbitrary: fc.string({ unit: "grapheme" }), weight: 1 },
  { arbitrary: fc.string({ unit: "binary" }), weight: 1 },
);

const queryValue = fc.oneof(
  fc.nat(200).map(String),
  fc.string(),
  fc.constantFrom("", "0", "100", "101", "-5", "1e2", " 5", "5 ", "0005", "9007199254740993"),
);
const query = fc.array(
  fc.tuple(fc.oneof(fc.constantFrom("limit", "cursor"), dangerousKey, fc.string({ maxLength: 8 })), queryValue),
  { maxLength: 3 },
);

const headerValue = fc.string({ unit: "binary-ascii" }).map((s) => s.replace(/[\r\n\0]/g, "").trim());
const extraHeaders = fc.dictionary(
  fc.constantFrom(
    "content-type",
    "content-length",
    "x-request-id",
    "x-forwarded-for",
    "accept",
    "cookie",
    "x-http-method-override",
    "origin",
  ),
  fc.oneof(
    headerValue,
    fc.constantFrom(
      "application/json",
      "text/plain",
      "999999999",
      "0",
      "-1",
      "abc",
      "application/json; charset=utf-16",
    ),
  ),
  { maxKeys: 3 },
);

const scenario = fc.record({
  route: fc.constantFrom<Route>(
    "GET /api/health",
    "GET /api/users",
    "POST /api/users",
    "POST /api/users",
    "GET /api/users/[id]",
    "PATCH /api/users/[id]",
    "PATCH /api/users/[id]",
    "DELETE /api/users/[id]",
  ),
  authorization: auth,
  id,
  query,
  body,
  headers: extraHeaders,
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function buildRequest(s: Scenario): NextRequest {
  const [method, pattern] = s.route.split(" ") as [string, string];
  const url = new URL(pattern.replace("[id]", encodeURIComponent(s.id)), BASE_URL);
  for (const [k, v] of s.query) url.searchParams.append(k, v);
  const headers = new Headers(s.headers);
  if (s.authorization !== undefined) headers.set("authorization", s.authorization);
  const withBody = method !== "GET" && s.body.kind !== "none";
  // Bodies go as JSON, as a client's would, unless the generated headers say otherwise.
  if (withBody && !headers.has("content-type")) headers.set("content-type", "application/json");
  return new NextRequest(url, { method, headers, body: withBody ? (s.body.data as BodyInit) : undefined });
}

// ---- the property -------------------------------------------------------------------------

const ACTORS: Record<string, bigint> = {};

type Row = [string, string, string, string, ...unknown[]];

/** Rows a request changed that its caller had no right to: for anyone but the admin, every row but their own, and any role. */
function escalations(s: Scenario, before: string, after: string): string[] {
  const actor = Object.entries(ACTORS).find(
    ([token]) => s.authorization?.toLowerCase() === `bearer ${token}`.toLowerCase(),
  )?.[1];
  if (actor === ADMIN_ID) return [];
  const rows = (snap: string) => new Map((JSON.parse(snap) as Row[]).map((row) => [row[0], row]));
  const [old, now] = [rows(before), rows(after)];
  const problems: string[] = [];
  for (const rowId of new Set([...old.keys(), ...now.keys()])) {
    const [was, is] = [old.get(rowId), now.get(rowId)];
    if (JSON.stringify(was) === JSON.stringify(is)) continue;
    if (!was || !is || BigInt(rowId) !== actor)
      problems.push(`row ${rowId} changed by ${s.authorization?.slice(0, 20)}`);
    else if (was[3] !== is[3]) problems.push(`role of ${rowId} changed from ${was[3]} to ${is[3]}`);
  }
  return problems;
}

describe(`${RUNS} generated requests against the route handlers`, () => {
  it("each answer a documented status with the documented body, never 5xx, and a rejected request changes nothing", async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const before = await raw.snapshot();
        const response = await handlers[s.route](buildRequest(s), params({ id: s.id }));
        const bodyText = await response.text();
        sent += 1;
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);

        expect(contractViolations(s.route, response.status, response.headers, bodyText)).toEqual([]);
        const after = await raw.snapshot();
        const changed = after !== before;
        if (response.status >= 300 || s.route.startsWith("GET")) {
          expect(changed, `${s.route} answered ${response.status} but changed the database`).toBe(false);
        }
        if (changed) {
          expect(escalations(s, before, after), "a user changed more than their own name and email").toEqual([]);
          await raw.restore(baseline);
        }
      }),
      { numRuns: RUNS },
    );
    expect(sent).toBeGreaterThanOrEqual(RUNS);

    // The run must have reached the layers behind authentication and validation, not only the
    // front door: successes, validation errors, auth failures, 413s and 415s all occur.
    for (const status of [200, 201, 400, 401, 403, 404, 413, 415]) {
      expect(
        statuses.get(status) ?? 0,
        `no request answered ${status}: ${JSON.stringify([...statuses])}`,
      ).toBeGreaterThan(0);
    }
  }, 120_000);
});
