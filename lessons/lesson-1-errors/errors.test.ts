import { afterEach, describe, expect, it, vi } from "vitest";
import { NextResponse, type NextRequest } from "next/server";
import { z } from "zod";
import { logger } from "@/lib/logger";
import { addResponseHeaders, getRequestContext, runWithRequestContext } from "@/lib/request-context";
import { createUser, params, request, resetUsers } from "@/testing/fixtures";
import {
  ApiError,
  ERROR_STATUS,
  apiError,
  errorResponse,
  toApiError,
  validationDetails,
  withErrorHandler,
  type ErrorCode,
  type RouteContext,
  type RouteHandler,
} from "./errors";

afterEach(() => {
  vi.restoreAllMocks();
});

const STATUSES: [ErrorCode, number][] = [
  ["VALIDATION_ERROR", 400],
  ["UNAUTHORIZED", 401],
  ["FORBIDDEN", 403],
  ["NOT_FOUND", 404],
  ["CONFLICT", 409],
  ["EMAIL_EXISTS", 409],
  ["PAYLOAD_TOO_LARGE", 413],
  ["RATE_LIMITED", 429],
  ["INTERNAL_ERROR", 500],
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The ZodError a schema reports for an input it rejects. The schema is typed by the one method
 * used: proving a zod object fits z.ZodType costs the type-checker a tenth of a second per schema.
 */
function zodErrorOf(schema: Pick<z.ZodType, "safeParse">, input: unknown): z.ZodError {
  const result = schema.safeParse(input);
  if (result.success) throw new Error("test set-up: the schema was expected to reject this input");
  return result.error;
}

function run(handler: RouteHandler<RouteContext>, req: NextRequest = request("GET", "/api/users")): Promise<Response> {
  return withErrorHandler(handler)(req, params({}));
}

/** The parsed body of an error response, after checking it names the same request id as its header. */
async function errorBody(response: Response): Promise<unknown> {
  const body = (await response.json()) as { error?: { requestId?: unknown } };
  const requestId = response.headers.get("x-request-id");
  expect(requestId, "every response needs an x-request-id header").toEqual(expect.stringMatching(/.+/));
  expect(body.error?.requestId, "body.error.requestId must equal the x-request-id header").toBe(requestId);
  return body;
}

describe("ERROR_STATUS", () => {
  it.each(STATUSES)("maps %s to %i", (code, status) => {
    expect(ERROR_STATUS[code], `ERROR_STATUS.${code}`).toBe(status);
  });
});

describe("ApiError", () => {
  it("is an Error named ApiError that carries a status, a code and a message", () => {
    const error = new ApiError(404, "NOT_FOUND", "User not found");
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("ApiError");
    expect([error.statusCode, error.code, error.message]).toEqual([404, "NOT_FOUND", "User not found"]);
  });

  it("has no details, headers or cause unless it is given them", () => {
    const error = new ApiError(403, "FORBIDDEN", "Insufficient permissions");
    expect(error.details).toBeUndefined();
    expect(error.headers).toBeUndefined();
    expect(error.cause).toBeUndefined();
  });

  it("keeps the details, headers and cause it is given", () => {
    const cause = new Error("internal");
    const error = new ApiError(429, "RATE_LIMITED", "Too many requests", {
      details: { limit: ["At most 10 a minute"] },
      headers: { "Retry-After": "30" },
      cause,
    });
    expect(error.details).toEqual({ limit: ["At most 10 a minute"] });
    expect(error.headers).toEqual({ "Retry-After": "30" });
    expect(error.cause, "the cause must reach Error's own `cause`, where loggers look for it").toBe(cause);
  });
});

describe("apiError", () => {
  it.each(STATUSES)("gives %s the status %i from the table", (code, status) => {
    const error = apiError(code, "Something went wrong");
    expect(error).toBeInstanceOf(ApiError);
    expect([error.statusCode, error.code, error.message]).toEqual([status, code, "Something went wrong"]);
  });

  it("passes its options on to the error", () => {
    const cause = new Error("internal");
    const error = apiError("RATE_LIMITED", "Too many requests", {
      headers: { "Retry-After": "30" },
      details: { a: ["b"] },
      cause,
    });
    expect(error.headers).toEqual({ "Retry-After": "30" });
    expect(error.details).toEqual({ a: ["b"] });
    expect(error.cause).toBe(cause);
  });
});

describe("validationDetails", () => {
  it("lists each invalid field with its message", () => {
    const schema = z.object({ name: z.string().min(1, "Name is required"), email: z.email("Enter a valid email") });
    expect(validationDetails(zodErrorOf(schema, { name: "", email: "nope" }))).toEqual({
      name: ["Name is required"],
      email: ["Enter a valid email"],
    });
  });

  it("collects every message of a field that fails several checks", () => {
    const schema = z.object({
      password: z.string().min(8, "At least 8 characters").regex(/[0-9]/, "At least one digit"),
    });
    expect(validationDetails(zodErrorOf(schema, { password: "abc" }))).toEqual({
      password: ["At least 8 characters", "At least one digit"],
    });
  });

  it("joins a nested path with dots", () => {
    const schema = z.object({
      address: z.object({ city: z.string("City is required") }),
      tags: z.array(z.string("Tag must be a string")),
    });
    expect(validationDetails(zodErrorOf(schema, { address: {}, tags: ["a", 1] }))).toEqual({
      "address.city": ["City is required"],
      "tags.1": ["Tag must be a string"],
    });
  });

  it("names each unknown field of a strict object", () => {
    const schema = z.strictObject({ name: z.string() });
    expect(validationDetails(zodErrorOf(schema, { name: "Ada", isAdmin: true, id: 7 }))).toEqual({
      isAdmin: ["Unknown field"],
      id: ["Unknown field"],
    });
  });

  it("names an unknown field of a nested object by its full path", () => {
    const schema = z.strictObject({ profile: z.strictObject({ bio: z.string() }) });
    expect(validationDetails(zodErrorOf(schema, { profile: { bio: "Hi", admin: true } }))).toEqual({
      "profile.admin": ["Unknown field"],
    });
  });

  it("names unknown fields called __proto__ and constructor like any other field", () => {
    const schema = z.strictObject({ name: z.string() });
    const body: unknown = JSON.parse('{ "name": "Ada", "__proto__": { "isAdmin": true }, "constructor": 1 }');
    const details = validationDetails(zodErrorOf(schema, body));
    expect(Object.entries(details), "each unknown field, as an own key of the details").toEqual([
      ["__proto__", ["Unknown field"]],
      ["constructor", ["Unknown field"]],
    ]);
  });

  it("puts a problem with the whole input under _root", () => {
    const schema = z
      .object({ name: z.string().optional() })
      .refine((input) => input.name !== undefined, "Send at least one field");
    expect(validationDetails(zodErrorOf(schema, {}))).toEqual({ _root: ["Send at least one field"] });
  });
});

describe("toApiError", () => {
  it("returns an ApiError unchanged", () => {
    const error = new ApiError(403, "FORBIDDEN", "Insufficient permissions");
    expect(toApiError(error)).toBe(error);
  });

  it("turns a ZodError into 400 VALIDATION_ERROR with the details per field", () => {
    const zodError = zodErrorOf(z.strictObject({ email: z.email("Enter a valid email") }), {
      email: "nope",
      isAdmin: true,
    });
    const error = toApiError(zodError);
    expect([error.statusCode, error.code, error.message]).toEqual([400, "VALIDATION_ERROR", "Invalid request"]);
    expect(error.details).toEqual({ email: ["Enter a valid email"], isAdmin: ["Unknown field"] });
    expect(error.cause).toBe(zodError);
  });

  it("turns a SyntaxError (a malformed JSON body) into 400 VALIDATION_ERROR", () => {
    const syntaxError = new SyntaxError("Unexpected end of JSON input");
    const error = toApiError(syntaxError);
    expect([error.statusCode, error.code, error.message]).toEqual([400, "VALIDATION_ERROR", "Malformed JSON body"]);
    expect(error.cause).toBe(syntaxError);
  });

  it("turns a Prisma unique violation (P2002) into 409 CONFLICT without the database's message", () => {
    const prismaError = Object.assign(new Error("Unique constraint failed on the fields: (`email`)"), {
      code: "P2002",
    });
    const error = toApiError(prismaError);
    expect([error.statusCode, error.code, error.message]).toEqual([409, "CONFLICT", "Resource already exists"]);
    expect(error.cause).toBe(prismaError);
  });

  it.each([
    ["an Error", new Error("connect ECONNREFUSED 10.0.0.5:5432")],
    ["a TypeError", new TypeError("Cannot read properties of undefined (reading 'id')")],
    ["a Prisma error that is not a unique violation", Object.assign(new Error("Record not found"), { code: "P2025" })],
    ["an object without a code", { reason: "boom" }],
    ["a thrown string", "boom"],
    ["null", null],
    ["undefined", undefined],
  ])("turns %s into a generic 500 INTERNAL_ERROR that keeps it as the cause", (_, thrown) => {
    const error = toApiError(thrown);
    expect([error.statusCode, error.code, error.message]).toEqual([500, "INTERNAL_ERROR", "Unexpected error"]);
    expect(error.details).toBeUndefined();
    expect(error.cause).toBe(thrown);
  });
});

describe("errorResponse", () => {
  const inRequest = <T>(fn: () => T): T =>
    runWithRequestContext(request("GET", "/api/users/7", { headers: { "x-request-id": "req-42" } }), fn);

  it("answers with the error's status and the envelope { error: { code, message, requestId } }", async () => {
    const response = inRequest(() => errorResponse(apiError("NOT_FOUND", "User not found")));
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: "NOT_FOUND", message: "User not found", requestId: "req-42" },
    });
  });

  it("includes the details of a validation error", async () => {
    const details = { email: ["Enter a valid email"] };
    const response = inRequest(() => errorResponse(apiError("VALIDATION_ERROR", "Invalid request", { details })));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { code: "VALIDATION_ERROR", message: "Invalid request", details, requestId: "req-42" },
    });
  });

  it("sends the error's headers, such as Retry-After", () => {
    const response = inRequest(() =>
      errorResponse(apiError("RATE_LIMITED", "Too many requests", { headers: { "Retry-After": "30" } })),
    );
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("30");
  });

  it("leaves requestId out when it runs outside a request", async () => {
    const response = errorResponse(apiError("FORBIDDEN", "Insufficient permissions"));
    expect(await response.json()).toEqual({ error: { code: "FORBIDDEN", message: "Insufficient permissions" } });
  });

  it("translates anything else that was thrown, so an unknown error becomes a 500", async () => {
    const response = inRequest(() => errorResponse(new Error("disk full")));
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error: { code: "INTERNAL_ERROR", message: "Unexpected error", requestId: "req-42" },
    });
  });

  it("logs a 500 with what was originally thrown", () => {
    const error = vi.spyOn(logger, "error");
    const thrown = new Error("disk full");
    inRequest(() => errorResponse(thrown));
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.calls[0]![0]).toMatchObject({ msg: "unhandled error" });
    expect(error.mock.calls[0]![0].err, "log the original error, whose stack says where it happened").toBe(thrown);
  });

  it("logs a 500 ApiError that has no cause as itself", () => {
    const error = vi.spyOn(logger, "error");
    const thrown = apiError("INTERNAL_ERROR", "Cache unavailable");
    inRequest(() => errorResponse(thrown));
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.calls[0]![0].err).toBe(thrown);
  });

  it("does not log a client's mistake (4xx) as an error", () => {
    const error = vi.spyOn(logger, "error");
    const response = inRequest(() => errorResponse(apiError("NOT_FOUND", "User not found")));
    expect(response.status).toBe(404);
    expect(error, "4xx responses are not errors of the server").not.toHaveBeenCalled();
  });
});

describe("withErrorHandler", () => {
  it("returns the handler's own response when it succeeds", async () => {
    const response = await run(async () => NextResponse.json({ user: { id: 1 } }, { status: 201 }));
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ user: { id: 1 } });
  });

  it("passes the request and the route context to the handler", async () => {
    const handler = vi.fn(async () => new Response(null, { status: 204 }));
    const req = request("GET", "/api/users/7");
    const context = params({ id: "7" });
    await withErrorHandler(handler)(req, context);
    expect(handler).toHaveBeenCalledWith(req, context);
  });

  it("puts a new x-request-id on a successful response", async () => {
    const response = await run(async () => NextResponse.json({ ok: true }));
    expect(response.headers.get("x-request-id"), "a new UUID in the x-request-id header").toEqual(
      expect.stringMatching(UUID),
    );
  });

  it("keeps the x-request-id the client sent", async () => {
    const response = await run(
      async () => NextResponse.json({ ok: true }),
      request("GET", "/api/users", { headers: { "x-request-id": "client-id-1" } }),
    );
    expect(response.headers.get("x-request-id")).toBe("client-id-1");
  });

  it("answers a thrown ApiError with its status and the error envelope", async () => {
    const response = await run(async () => {
      throw apiError("NOT_FOUND", "User not found");
    });
    expect(response.status).toBe(404);
    expect(await errorBody(response)).toEqual({
      error: { code: "NOT_FOUND", message: "User not found", requestId: expect.stringMatching(UUID) },
    });
  });

  it("sends the headers of a thrown ApiError, such as Retry-After", async () => {
    const response = await run(async () => {
      throw apiError("RATE_LIMITED", "Too many requests", { headers: { "Retry-After": "30" } });
    });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("30");
    await errorBody(response);
  });

  it("answers a ZodError with 400 VALIDATION_ERROR, a message per field and the unknown fields named", async () => {
    const schema = z.strictObject({ name: z.string().min(1), email: z.email({ error: "Enter a valid email" }) });
    const response = await run(
      async (req) => {
        schema.parse(await req.json());
        return NextResponse.json({}, { status: 201 });
      },
      request("POST", "/api/users", { body: { name: "Ada", email: "not-an-email", isAdmin: true } }),
    );
    expect(response.status).toBe(400);
    expect(await errorBody(response)).toEqual({
      error: {
        code: "VALIDATION_ERROR",
        message: "Invalid request",
        details: { email: ["Enter a valid email"], isAdmin: ["Unknown field"] },
        requestId: expect.any(String),
      },
    });
  });

  it("answers a malformed JSON body with 400 VALIDATION_ERROR, not 500", async () => {
    const response = await run(
      async (req) => NextResponse.json(await req.json()),
      request("POST", "/api/users", {
        rawBody: '{"name": "Ada",',
        headers: { "content-type": "application/json" },
      }),
    );
    expect(response.status, "a malformed body is the client's mistake").toBe(400);
    expect(await errorBody(response)).toEqual({
      error: { code: "VALIDATION_ERROR", message: "Malformed JSON body", requestId: expect.any(String) },
    });
  });

  it("answers a unique violation that Prisma threw with 409 CONFLICT, without the database's message", async () => {
    await resetUsers();
    const response = await run(async () => {
      await createUser({ email: "ada@example.com" });
      await createUser({ email: "ada@example.com" });
      return NextResponse.json({}, { status: 201 });
    });
    expect(response.status).toBe(409);
    const body = await errorBody(response);
    expect(body).toEqual({
      error: { code: "CONFLICT", message: "Resource already exists", requestId: expect.any(String) },
    });
    expect(JSON.stringify(body)).not.toMatch(/ada@example\.com|constraint|prisma/i);
  });

  it("answers an unexpected error with a generic 500 that leaks nothing", async () => {
    const response = await run(async () => {
      throw new Error("SQLITE_ERROR: no such column: password_hash");
    });
    expect(response.status).toBe(500);
    const text = await response.clone().text();
    expect(text, "no database text in the body").not.toMatch(/SQLITE|password_hash/);
    expect(text, "no stack trace in the body").not.toMatch(/\bat \S+ \(|stack/);
    expect(await errorBody(response), "only the generic message and the request id").toEqual({
      error: { code: "INTERNAL_ERROR", message: "Unexpected error", requestId: expect.stringMatching(UUID) },
    });
  });

  it("logs the unexpected error inside the request, so the log line has the same request id", async () => {
    const thrown = new Error("SQLITE_ERROR: no such column: password_hash");
    let loggedRequestId: string | undefined;
    const error = vi.spyOn(logger, "error").mockImplementation(() => {
      loggedRequestId = getRequestContext()?.requestId;
    });
    const response = await run(async () => {
      throw thrown;
    });
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.calls[0]![0].err).toBe(thrown);
    expect(loggedRequestId, "the error must be logged while the request's context is active").toBe(
      (await response.json()).error?.requestId,
    );
  });

  it("adds headers that other layers put on the request context, on an error too", async () => {
    const response = await run(async () => {
      addResponseHeaders({ "RateLimit-Remaining": "4" });
      throw apiError("FORBIDDEN", "Insufficient permissions");
    });
    expect(response.status).toBe(403);
    expect(response.headers.get("ratelimit-remaining")).toBe("4");
  });

  it("does not overwrite a header the handler set itself", async () => {
    const response = await run(async () => {
      addResponseHeaders({ "Cache-Control": "no-store" });
      return new Response("ok", { headers: { "Cache-Control": "max-age=60" } });
    });
    expect(response.headers.get("cache-control")).toBe("max-age=60");
  });

  it("logs one line per request with its method, path, status and duration in milliseconds", async () => {
    const info = vi.spyOn(logger, "info");
    const now = vi.spyOn(performance, "now").mockReturnValue(1000);
    await run(
      async () => {
        now.mockReturnValue(1012.345);
        throw apiError("NOT_FOUND", "User not found");
      },
      request("DELETE", "/api/users/7"),
    );
    expect(info).toHaveBeenCalledTimes(1);
    expect(info).toHaveBeenCalledWith({
      msg: "request",
      method: "DELETE",
      path: "/api/users/7",
      status: 404,
      durationMs: 12.35,
    });
  });
});
