import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signToken } from "@/lib/auth";
import { DEV_AUTH_SECRET } from "@/lib/config";
import { createPrismaClient } from "@/lib/prisma";
import { applyMigrations } from "../../prisma/migrate";
import { seed } from "../../prisma/seed";
import { buildIfStale, lockDistDir, ROOT, startServer, type RunningServer } from "./server";

// The built app, served by `next start` in production mode, driven over real HTTP: the seed's
// three worked outputs, the error envelope, request ids and the request log.

const DIST_DIR = ".next-e2e";
const SECRET = randomBytes(32).toString("base64url");
// Committed files `next build` is known to rewrite in some set-ups (it writes the git-ignored
// next-env.d.ts every time).
const CONFIG_FILES = ["tsconfig.json", "solutions/tsconfig.json", "solutions/next.config.ts", "package.json"];
const readConfigFiles = () => CONFIG_FILES.map((file) => readFileSync(path.join(ROOT, file), "utf8"));

let dir: string;
let release: () => void;
let api: RunningServer;
let noSecret: RunningServer;
let adminId: bigint;
let adminToken: string;
let build: "built" | "reused";
let configBefore: string[];
let configAfter: string[];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "workbook-e2e-"));
  const file = path.join(dir, "api.db");
  applyMigrations(file);
  const client = createPrismaClient(file);
  try {
    await seed(client);
    adminId = (await client.user.findUniqueOrThrow({ where: { email: "admin@example.com" } })).id;
  } finally {
    await client.$disconnect();
  }
  adminToken = await signToken({ id: adminId }, { secret: SECRET });

  release = await lockDistDir(DIST_DIR, 200_000);
  const started = performance.now();
  configBefore = readConfigFiles();
  build = await buildIfStale(DIST_DIR);
  configAfter = readConfigFiles();
  const common = { DATABASE_URL: `file:${file}`, NEXT_DIST_DIR: DIST_DIR, NODE_ENV: "production", LOG_LEVEL: "info" };
  [api, noSecret] = await Promise.all([
    startServer({ ...common, AUTH_SECRET: SECRET }),
    startServer({ ...common, LOG_LEVEL: "error" }),
  ]);
  console.info(`e2e: build ${build}, servers ready after ${Math.round(performance.now() - started)} ms`);
});

afterAll(async () => {
  await Promise.all([api?.stop(), noSecret?.stop()]);
  release?.();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Call = { token?: string; body?: unknown; headers?: Record<string, string> };
type ErrorBody = { error: { code: string; message: string; details?: Record<string, string[]>; requestId?: string } };

async function call(server: RunningServer, method: string, url: string, { token, body, headers = {} }: Call = {}) {
  const response = await fetch(server.url + url, {
    method,
    headers: {
      ...headers,
      ...(token && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

type LogLine = Record<string, unknown>;

/** The JSON lines in a server's output; Next's own banner lines are not JSON and are skipped. */
function jsonLines(output: string): LogLine[] {
  return output
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogLine);
}

/** The log lines of one request, once its request line has been written. */
async function logOf(output: () => string, requestId: string): Promise<LogLine[]> {
  await expect
    .poll(() => jsonLines(output()).some((line) => line.requestId === requestId && line.msg === "request"))
    .toBe(true);
  return jsonLines(output()).filter((line) => line.requestId === requestId);
}

const uniqueEmail = (name: string) => `${name}-${randomUUID().slice(0, 8)}@example.org`;

describe("next build", () => {
  it("leaves every committed config file as it was", (context) => {
    if (build === "reused") context.skip("the build was reused; nothing was built to check");
    expect(configAfter).toEqual(configBefore);
  });
});

describe("the users API served by next start (NODE_ENV=production, AUTH_SECRET set)", () => {
  it("answers GET /api/health with 200 and an x-request-id", async () => {
    const response = await call(api, "GET", "/api/health");
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: "ok" });
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("creates a user: 201 with exactly the seed's success body", async () => {
    const email = uniqueEmail("alice");
    const response = await call(api, "POST", "/api/users", { token: adminToken, body: { name: "Alice", email } });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ user: { id: expect.any(Number), name: "Alice", email, role: "user" } });
  });

  it("rejects an invalid email: 400 VALIDATION_ERROR with the seed's details", async () => {
    const response = await call(api, "POST", "/api/users", {
      token: adminToken,
      body: { name: "Alice", email: "not-an-email" },
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      error: { code: "VALIDATION_ERROR", details: { email: ["Enter a valid email"] } },
    });
    expect(response.body.error.requestId).toBe(response.headers.get("x-request-id"));
  });

  it("rejects the same email twice: 409 EMAIL_EXISTS with the seed's message", async () => {
    const body = { name: "Alice", email: uniqueEmail("twice") };
    expect((await call(api, "POST", "/api/users", { token: adminToken, body })).status).toBe(201);
    const response = await call(api, "POST", "/api/users", { token: adminToken, body });
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ error: { code: "EMAIL_EXISTS", message: "Email already exists" } });
  });

  it("answers 401 UNAUTHORIZED without a token", async () => {
    const response = await call(api, "GET", "/api/users");
    expect(response.status).toBe(401);
    expect(response.body.error).toMatchObject({ code: "UNAUTHORIZED", message: "Missing or invalid token" });
  });

  it("answers 401 to a token signed with the development secret, not the server's own", async () => {
    const forged = await signToken({ id: adminId }, { secret: DEV_AUTH_SECRET });
    expect((await call(api, "GET", "/api/users", { token: forged })).status).toBe(401);
  });

  it("answers 404 NOT_FOUND for an unknown user id", async () => {
    const response = await call(api, "GET", "/api/users/999999", { token: adminToken });
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe("NOT_FOUND");
  });

  it("echoes a client's x-request-id on the response and in the error body", async () => {
    const response = await call(api, "GET", "/api/users", { headers: { "x-request-id": "e2e-echo-1" } });
    expect(response.headers.get("x-request-id")).toBe("e2e-echo-1");
    expect(response.body.error.requestId).toBe("e2e-echo-1");
  });

  it("writes one JSON line per request to stdout with requestId, userId, method, path, status and durationMs", async () => {
    const requestId = `e2e-log-${randomUUID()}`;
    await call(api, "GET", `/api/users/${adminId}`, { token: adminToken, headers: { "x-request-id": requestId } });
    const lines = await logOf(api.stdout, requestId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: "info",
      msg: "request",
      requestId,
      userId: String(adminId),
      method: "GET",
      path: `/api/users/${adminId}`,
      status: 200,
      durationMs: expect.any(Number),
    });
  });

  it("logs an unauthenticated request with userId null", async () => {
    const requestId = `e2e-anon-${randomUUID()}`;
    await call(api, "DELETE", "/api/users/1", { headers: { "x-request-id": requestId } });
    expect(await logOf(api.stdout, requestId)).toEqual([
      expect.objectContaining({ requestId, userId: null, method: "DELETE", path: "/api/users/1", status: 401 }),
    ]);
  });

  it("never writes a token or an Authorization header value to its output", async () => {
    const bogus = "bogus.token-value.abc123";
    const ids = [`e2e-secret-${randomUUID()}`, `e2e-secret-${randomUUID()}`];
    await call(api, "GET", "/api/users", { token: adminToken, headers: { "x-request-id": ids[0]! } });
    await call(api, "GET", "/api/users", { token: bogus, headers: { "x-request-id": ids[1]! } });
    for (const id of ids) await logOf(api.stdout, id);
    const output = api.stdout() + api.stderr();
    for (const secret of [adminToken, bogus, SECRET]) expect(output).not.toContain(secret);
    expect(output).not.toMatch(/Bearer\s+(?!\[REDACTED\])/i);
  });
});

describe("the worked example and hostile probes, over real HTTP", () => {
  it("creates Alice, alice@example.com, with 201 on the freshly seeded database", async () => {
    const response = await call(api, "POST", "/api/users", {
      token: adminToken,
      body: { name: "Alice", email: "alice@example.com" },
    });
    expect(response.status).toBe(201);
    expect(response.body.user).toMatchObject({ name: "Alice", email: "alice@example.com", role: "user" });
  });

  it.each([["__proto__"], ["constructor"]])(
    "answers GET /api/users?%s=1 with 400 naming that parameter",
    async (key) => {
      const response = await call(api, "GET", `/api/users?${key}=1`, { token: adminToken });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe("VALIDATION_ERROR");
      expect(Object.getOwnPropertyNames(response.body.error.details)).toEqual([key]);
    },
  );

  /** A request through node:http, which (unlike fetch) sends a GET with a body or Content-Length: 0. */
  function sendRaw(method: string, url: string, headers: Record<string, string>, body?: string) {
    return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: ErrorBody | null }>(
      (resolve, reject) => {
        const request = http.request(
          api.url + url,
          { method, headers: { authorization: `Bearer ${adminToken}`, ...headers } },
          (response) => {
            const chunks: Buffer[] = [];
            response.on("data", (chunk: Buffer) => chunks.push(chunk));
            response.on("end", () => {
              const text = Buffer.concat(chunks).toString("utf8");
              resolve({
                status: response.statusCode!,
                headers: response.headers,
                body: text ? JSON.parse(text) : null,
              });
            });
          },
        );
        request.on("error", reject);
        request.end(body);
      },
    );
  }

  it("answers GET /api/users?__proto__=1 sent with Content-Length: 0 with the same 400 as without it", async () => {
    const response = await sendRaw("GET", "/api/users?__proto__=1", { "content-length": "0" });
    expect(response.status).toBe(400);
    expect(response.body?.error).toMatchObject({ code: "VALIDATION_ERROR", message: "Invalid request" });
    expect(Object.getOwnPropertyNames(response.body?.error.details)).toEqual(["__proto__"]);
    expect(response.body?.error.requestId).toBe(response.headers["x-request-id"]);
  });

  it.each([
    ["a body", "/api/users?__proto__=1", { "content-length": "2" }],
    ["a chunked body", "/api/users?__proto__=1", { "transfer-encoding": "chunked" }],
    ["a body and a harmless query", "/api/users?limit=5", { "content-length": "2" }],
    ["a body, to one user", "/api/users/1", { "content-length": "2" }],
    ["a body, to the health check", "/api/health", { "content-length": "2" }],
  ])("refuses a GET with %s (%s): 400, the envelope and the request id", async (_, url, headers) => {
    const response = await sendRaw("GET", url, { ...headers, "x-request-id": `e2e-get-body-${randomUUID()}` }, "{}");
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: {
        code: "VALIDATION_ERROR",
        message: "A GET request has no body",
        requestId: response.headers["x-request-id"],
      },
    });
  });

  it("refuses a HEAD of the list with a body and a __proto__ too", async () => {
    const response = await sendRaw("HEAD", "/api/users?__proto__=1", { "content-length": "2" }, "{}");
    expect(response.status).toBe(400);
  });

  it("answers an anonymous GET with a body 401, as for anything else it sends", async () => {
    const response = await sendRaw("GET", "/api/users?__proto__=1", { authorization: "", "content-length": "2" }, "{}");
    expect(response.status).toBe(401);
  });

  it.each([
    ["no body headers", {}],
    ["Content-Length: 0", { "content-length": "0" }],
  ])("still serves a GET of the list with %s: 200", async (_, headers) => {
    const response = await sendRaw("GET", "/api/users?limit=2", headers);
    expect(response.status).toBe(200);
  });

  it("still creates a user from a POST with a chunked body, and answers one with Content-Length: 0 as empty", async () => {
    const body = JSON.stringify({ name: "Chunked", email: uniqueEmail("chunked") });
    const created = await sendRaw(
      "POST",
      "/api/users",
      { "content-type": "application/json", "transfer-encoding": "chunked" },
      body,
    );
    expect(created.status).toBe(201);
    const empty = await sendRaw("POST", "/api/users", { "content-type": "application/json", "content-length": "0" });
    expect(empty.status).toBe(400);
    expect(empty.body?.error.message).toBe("Request body is required");
  });

  async function send(method: string, url: string, body: string, headers: Record<string, string>) {
    const response = await fetch(api.url + url, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...headers },
      body,
    });
    return { status: response.status, body: await response.json() };
  }

  it.each([
    ["POST", "text/plain"],
    ["PATCH", "text/plain"],
    ["POST", "application/x-www-form-urlencoded"],
  ])("answers %s with content-type %s with 415 and the envelope, creating nothing", async (method, type) => {
    const email = uniqueEmail("typed");
    const url = method === "POST" ? "/api/users" : `/api/users/${adminId}`;
    const response = await send(method, url, JSON.stringify({ name: "Typed", email }), { "content-type": type });
    expect(response.status).toBe(415);
    expect(response.body.error).toMatchObject({
      code: "UNSUPPORTED_MEDIA_TYPE",
      message: "Content-Type must be application/json",
    });
  });

  it("answers a POST whose body has no content-type with 415", async () => {
    // fetch labels a string body text/plain; bytes go out with no content-type at all.
    const body = new TextEncoder().encode(JSON.stringify({ name: "Untyped", email: uniqueEmail("untyped") }));
    const response = await fetch(`${api.url}/api/users`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}` },
      body,
    });
    expect(response.status).toBe(415);
  });

  it.each([
    [
      "a lone surrogate",
      '{"name":"x\\ud800y","email":"EMAIL"}',
      "Request body holds a string that is not valid Unicode",
    ],
    ["a right-to-left override", '{"name":"Ada\\u202Eexe.txt","email":"EMAIL"}', "Invalid request"],
  ])("refuses a name with %s: 400, nothing stored", async (_, template, message) => {
    const email = uniqueEmail("probe");
    const response = await send("POST", "/api/users", template.replace("EMAIL", email), {
      "content-type": "application/json",
    });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toBe(message);
    expect(
      (await call(api, "GET", "/api/users?limit=100", { token: adminToken })).body.users.map(
        (u: { email: string }) => u.email,
      ),
    ).not.toContain(email);
  });
});

describe("a production server started without AUTH_SECRET, with LOG_LEVEL=error", () => {
  it("still starts and answers requests that need no secret", async () => {
    expect((await call(noSecret, "GET", "/api/health")).status).toBe(200);
    expect((await call(noSecret, "GET", "/api/users")).status).toBe(401);
  });

  it("refuses to check tokens with the development secret: 500 INTERNAL_ERROR, no internals in the body", async () => {
    const token = await signToken({ id: adminId }, { secret: DEV_AUTH_SECRET });
    const requestId = `e2e-nosecret-${randomUUID()}`;
    const response = await call(noSecret, "GET", "/api/users", { token, headers: { "x-request-id": requestId } });
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ error: { code: "INTERNAL_ERROR", message: "Unexpected error", requestId } });
  });

  it("logs the error with its stack on stderr, without the token", async () => {
    const token = await signToken({ id: adminId }, { secret: DEV_AUTH_SECRET });
    const requestId = `e2e-stack-${randomUUID()}`;
    await call(noSecret, "GET", "/api/users", { token, headers: { "x-request-id": requestId } });
    const logged = () => jsonLines(noSecret.stderr()).filter((line) => line.requestId === requestId);
    await expect.poll(logged).toHaveLength(1);
    const [error] = logged();
    expect(error).toMatchObject({
      level: "error",
      err: { message: expect.stringContaining("AUTH_SECRET must be set") },
    });
    expect((error!.err as { stack: string }).stack).toMatch(/\n\s+at /);
    expect(noSecret.stdout() + noSecret.stderr()).not.toContain(token);
  });

  it("writes no request lines below its LOG_LEVEL, though it has served requests", async () => {
    const requestId = `e2e-level-${randomUUID()}`;
    const token = await signToken({ id: adminId }, { secret: DEV_AUTH_SECRET });
    await call(noSecret, "GET", "/api/users", { token, headers: { "x-request-id": requestId } });
    // Start-up health checks and the tests above made requests long before this one.
    await expect.poll(() => jsonLines(noSecret.stderr()).some((line) => line.requestId === requestId)).toBe(true);
    expect(jsonLines(noSecret.stdout())).toEqual([]);
  });
});
