import { randomBytes } from "node:crypto";
import http from "node:http";
import net from "node:net";
import Database from "better-sqlite3";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signToken } from "@/lib/auth";
import { databaseFile, databaseUrl } from "@/lib/database-url";
import { prisma } from "@/lib/prisma";
import { createUser } from "@/testing/fixtures";
import { buildIfStale, lockDistDir, startServer, type RunningServer } from "../e2e/server";
import { contractViolations, type Route } from "./contract";

// The same attacks where only a real server can show them: the built app under `next start`,
// sharing this file's SQLite database, driven over raw HTTP (raw paths, real concurrency,
// connections that drop). This test plays a trusted proxy (TRUST_PROXY=true): it names each
// anonymous caller in X-Forwarded-For, so that their rate limits stay apart.

const DIST_DIR = ".next-test";
const SECRET = randomBytes(32).toString("base64url");
const LIMIT = 100;

let server: RunningServer;
let release: () => void;
let raw: Database.Database;
let anonymous = 0;

beforeAll(async () => {
  release = await lockDistDir(DIST_DIR, 200_000);
  await buildIfStale(DIST_DIR);
  server = await startServer({
    DATABASE_URL: databaseUrl(),
    NEXT_DIST_DIR: DIST_DIR,
    AUTH_SECRET: SECRET,
    LOG_LEVEL: "info",
    RATE_LIMIT_MAX: String(LIMIT),
    RATE_LIMIT_WINDOW_MS: String(60 * 60_000),
    TRUST_PROXY: "true",
  });
  raw = new Database(databaseFile());
}, 240_000);

afterAll(async () => {
  raw?.close();
  await server?.stop();
  release?.();
});

type Reply = { status: number; headers: Headers; text: string };
/** `asJson: false` sends a body with only the headers given, without the usual JSON content-type. */
type Send = { headers?: Record<string, string>; body?: string | Uint8Array; token?: string; asJson?: boolean };

/** One request with the path exactly as given: no URL parser between the test and the server. */
function send(method: string, path: string, { headers = {}, body, token, asJson = true }: Send = {}): Promise<Reply> {
  const { port } = new URL(server.url);
  const all: Record<string, string> = { "x-forwarded-for": `192.0.2.${(anonymous++ % 250) + 1}`, ...headers };
  if (token) all.authorization = `Bearer ${token}`;
  if (body !== undefined && asJson && !Object.keys(all).some((name) => name.toLowerCase() === "content-type")) {
    all["content-type"] = "application/json";
  }
  // Node frames a DELETE body with neither header unless told its length.
  if (body !== undefined) all["content-length"] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, headers: all }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const replyHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers))
          if (typeof value === "string") replyHeaders.set(name, value);
        resolve({ status: res.statusCode!, headers: replyHeaders, text: Buffer.concat(chunks).toString("utf8") });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

const tokenFor = (user: { id: bigint }) => signToken(user, { secret: SECRET });
let people = 0;
const newPerson = (role: "user" | "admin" = "user") => createUser({ email: `person${++people}@example.com`, role });
const snapshot = () => JSON.stringify(raw.prepare(`SELECT * FROM "User" ORDER BY id`).raw().all());

function tally(replies: Reply[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of replies) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

describe("generated requests over real HTTP", () => {
  // Raw path segments: anything percent-encoded, plus sequences no decoder accepts.
  const segment = fc
    .oneof(
      fc.string({ unit: "binary" }).map(encodeURIComponent),
      fc.string({ unit: "grapheme" }).map(encodeURIComponent),
      fc.constantFrom(
        "1",
        "0",
        "-1",
        "01",
        "9007199254740993",
        "%",
        "%%",
        "%zz",
        "%E0%A4%A",
        "%C0%AF",
        "%FF",
        "%00",
        "a%2Fb",
        "%5C",
        "1;x=y",
        "~",
        "!$&'()*+,",
      ),
      fc.tuple(fc.nat(50).map(String), fc.constantFrom("%", "%E0", "%G1")).map(([a, b]) => a + b),
    )
    // A dot segment leaves the API for another path, which is not what is under test here.
    .filter((s) => s.length > 0 && !/^(\.|%2e){1,2}$/i.test(s));
  const queryString = fc.oneof(
    fc.constant(""),
    fc.webQueryParameters().map((q) => `?${q}`),
    fc.constantFrom("?limit=%", "?limit=1&limit=2", "?__proto__=1", "?cursor=%E0", "?limit=5&cursor=1", "?"),
  );
  const body = fc.oneof(
    fc.constant(undefined),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string({ unit: "binary" }),
    fc
      .record({
        name: fc.string({ unit: "grapheme" }),
        email: fc.emailAddress(),
        role: fc.constantFrom("user", "admin", "root"),
      })
      .map((v) => JSON.stringify(v)),
    fc.constant(`{"__proto__":{"role":"admin"},"name":"Mallory"}`),
    fc.uint8Array({ maxLength: 40 }),
    fc.constant(JSON.stringify({ name: "x".repeat(70 * 1024), email: "big@example.com" })),
  );
  const target = fc.oneof(
    fc.constant({ path: "/api/health", routes: { GET: "GET /api/health" } as Record<string, Route> }),
    queryString.map((q) => ({
      path: `/api/users${q}`,
      routes: { GET: "GET /api/users", POST: "POST /api/users" } as Record<string, Route>,
    })),
    fc.tuple(segment, queryString).map(([s, q]) => ({
      path: `/api/users/${s}${q}`,
      routes: {
        GET: "GET /api/users/[id]",
        PATCH: "PATCH /api/users/[id]",
        DELETE: "DELETE /api/users/[id]",
      } as Record<string, Route>,
    })),
  );

  it("each keep the documented contract, never 5xx, and a rejected request changes nothing", async () => {
    // Callers of every kind; a pool, so that no one of them reaches the rate limit.
    const callers: (string | undefined)[] = [undefined, "garbage"];
    for (let i = 0; i < 4; i += 1)
      callers.push(await tokenFor(await newPerson("admin")), await tokenFor(await newPerson()));
    const statuses = new Set<number>();

    await fc.assert(
      fc.asyncProperty(
        target,
        fc.nat(),
        fc.nat(callers.length - 1),
        body,
        fc.option(fc.constantFrom("application/json", "text/plain", "")),
        async (t, m, c, payload, type) => {
          const methods = Object.keys(t.routes);
          const method = methods[m % methods.length]!;
          const before = snapshot();
          const headers: Record<string, string> = type === null ? {} : { "content-type": type };
          const reply = await send(method, t.path, {
            token: callers[c],
            headers,
            body: method === "GET" ? undefined : payload,
            asJson: false,
          });
          statuses.add(reply.status);

          expect(
            contractViolations(t.routes[method]!, reply.status, reply.headers, reply.text),
            `${method} ${t.path}`,
          ).toEqual([]);
          if (reply.status >= 300 || method === "GET")
            expect(snapshot(), `${method} ${t.path} answered ${reply.status}`).toBe(before);
        },
      ),
      { numRuns: 400 },
    );

    expect([...statuses].some((s) => s >= 500)).toBe(false);
  }, 120_000);

  it.each([["%"], ["%E0%A4%A"], ["%zz"], ["1%"]])(
    "answers 400 with the envelope for the undecodable path /api/users/%s",
    async (segment) => {
      const reply = await send("GET", `/api/users/${segment}`, { token: await tokenFor(await newPerson()) });

      expect(reply.status).toBe(400);
      expect(contractViolations("GET /api/users/[id]", reply.status, reply.headers, reply.text)).toEqual([]);
      expect(JSON.parse(reply.text).error.message).toBe("Malformed URL: invalid percent-encoding");
      expect(server.stdout()).toContain(`"requestId":"${reply.headers.get("x-request-id")}"`);
    },
  );
});

describe("concurrency over real HTTP", () => {
  it("100 concurrent creates with the same email answer one 201 and 99 409s, and leave one row", async () => {
    const token = await tokenFor(await newPerson("admin"));
    const body = (i: number) => JSON.stringify({ name: `Twin ${i}`, email: "http-twin@example.com" });

    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, i) => send("POST", "/api/users", { token, body: body(i) })),
    );

    expect(tally(replies)).toEqual({ 201: 1, 409: 99 });
    expect(await prisma.user.count({ where: { email: "http-twin@example.com" } })).toBe(1);
  });

  it("concurrent PATCHes racing to the same email let one win and answer 409 to the rest, none 500", async () => {
    const racers = await Promise.all(Array.from({ length: 50 }, () => newPerson()));
    const tokens = await Promise.all(racers.map(tokenFor));
    const body = JSON.stringify({ email: "http-prize@example.com" });

    const replies = await Promise.all(
      racers.map((r, i) => send("PATCH", `/api/users/${r.id}`, { token: tokens[i], body })),
    );

    expect(tally(replies)).toEqual({ 200: 1, 409: 49 });
    expect(await prisma.user.count({ where: { email: "http-prize@example.com" } })).toBe(1);
  });

  it(`1,000 concurrent requests from one client admit exactly ${LIMIT} in the window`, async () => {
    const me = await newPerson();
    const token = await tokenFor(me);

    const replies = await Promise.all(
      Array.from({ length: 1_000 }, () => send("GET", `/api/users/${me.id}`, { token })),
    );

    expect(tally(replies)).toEqual({ 200: LIMIT, 429: 1_000 - LIMIT });
    for (const reply of replies.filter((r) => r.status === 429)) {
      expect(Number(reply.headers.get("retry-after"))).toBeGreaterThan(0);
    }
  }, 60_000);
});

describe("tokens over real HTTP", () => {
  it("accepts a valid token under a lower-case bearer scheme", async () => {
    const me = await newPerson();

    const reply = await send("GET", `/api/users/${me.id}`, {
      headers: { authorization: `bearer ${await tokenFor(me)}` },
    });

    expect(reply.status).toBe(200);
  });

  it("answers every kind of bad token with the same 401 body", async () => {
    const me = await newPerson();
    const expired = await signToken(me, { secret: SECRET, expiresIn: -60 });
    const wrongSecret = await signToken(me, { secret: "some-other-secret-that-is-long-enough-0123" });
    const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify({ sub: String(me.id) })).toString("base64url")}.`;
    const authorizations = [
      undefined,
      "Bearer",
      "Bearer garbage",
      `Bearer ${expired}`,
      `Bearer ${wrongSecret}`,
      `Bearer ${none}`,
      await tokenFor(me),
    ];
    const headers = authorizations.map(
      (authorization): Record<string, string> => (authorization ? { authorization } : {}),
    );

    const replies = await Promise.all(
      headers.map((h) => send("GET", `/api/users/${me.id}`, { headers: { ...h, "x-request-id": "same-id" } })),
    );

    expect(new Set(replies.map((r) => `${r.status} ${r.text}`))).toEqual(
      new Set([
        `401 ${JSON.stringify({ error: { code: "UNAUTHORIZED", message: "Missing or invalid token", requestId: "same-id" } })}`,
      ]),
    );
  });

  it("answers a user's token on an admin route with 403", async () => {
    const reply = await send("GET", "/api/users", { token: await tokenFor(await newPerson()) });

    expect(reply.status).toBe(403);
  });
});

describe("faults over real HTTP", () => {
  it("a database locked by another writer answers the generic 500, logs the cause with the request id, and the next request is served", async () => {
    const me = await newPerson();
    const token = await tokenFor(me);
    const other = new Database(databaseFile());
    other.exec(`BEGIN IMMEDIATE; UPDATE "User" SET name = 'Other' WHERE id = ${me.id}`);
    let reply: Reply;
    try {
      reply = await send("PATCH", `/api/users/${me.id}`, { token, body: '{"name":"Renamed"}' });
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }

    expect(reply.status).toBe(500);
    const requestId = reply.headers.get("x-request-id");
    expect(JSON.parse(reply.text)).toEqual({
      error: { code: "INTERNAL_ERROR", message: "Unexpected error", requestId },
    });
    const logged = server
      .stderr()
      .split("\n")
      .find((line) => line.includes(`"requestId":"${requestId}"`));
    expect(logged).toMatch(/"level":"error"/);
    const next = await send("PATCH", `/api/users/${me.id}`, { token, body: '{"name":"Renamed"}' });
    expect(next.status).toBe(200);
  });

  /** Sends the request head and `sent` of the body, then drops the connection. */
  function dropMidRequest(method: string, path: string, token: string, body: string, sent: number): Promise<void> {
    const { port } = new URL(server.url);
    return new Promise((resolve) => {
      const socket = net.connect(Number(port), "127.0.0.1", () => {
        socket.write(
          `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, sent)}`,
          () => {
            socket.destroy();
            resolve();
          },
        );
      });
    });
  }

  /** Waits until the server has logged a request line for `path` (it logs one per request). */
  async function loggedRequestsTo(path: string, count: number): Promise<void> {
    const seen = () =>
      server
        .stdout()
        .split("\n")
        .filter((line) => line.includes(`"path":"${path}"`)).length;
    for (let tries = 0; seen() < count && tries < 200; tries += 1)
      await new Promise((resolve) => setTimeout(resolve, 25));
  }

  it("a client that drops the connection mid-upload leaves no row and no error in the log", async () => {
    const token = await tokenFor(await newPerson("admin"));
    const body = JSON.stringify({ name: "Half", email: "half-written@example.com" });
    const before = server
      .stdout()
      .split("\n")
      .filter((line) => line.includes('"path":"/api/users"')).length;
    const errorsBefore = server.stderr().length;

    await dropMidRequest("POST", "/api/users", token, body, 20);
    await loggedRequestsTo("/api/users", before + 1);

    expect(await prisma.user.count({ where: { email: "half-written@example.com" } })).toBe(0);
    expect(server.stderr().slice(errorsBefore)).not.toContain('"level":"error"');
    expect((await send("GET", "/api/users", { token })).status).toBe(200);
  });

  it("a client that drops the connection right after sending a PATCH leaves the row wholly changed or wholly unchanged", async () => {
    const target = await newPerson();
    const token = await tokenFor(await newPerson("admin"));
    const body = JSON.stringify({ name: "After", email: `after-${target.id}@example.com` });

    await dropMidRequest("PATCH", `/api/users/${target.id}`, token, body, body.length);
    await loggedRequestsTo(`/api/users/${target.id}`, 1);

    const row = await prisma.user.findUniqueOrThrow({ where: { id: target.id } });
    expect([
      { name: target.name, email: target.email },
      { name: "After", email: `after-${target.id}@example.com` },
    ]).toContainEqual({ name: row.name, email: row.email });
    expect((await send("GET", `/api/users/${target.id}`, { token })).status).toBe(200);
  });
});
