import { NextResponse, type NextRequest } from "next/server";
import { ZodError } from "zod";
import { logger } from "@/lib/logger";
import { isUniqueViolation } from "@/lib/prisma-errors";
import { getRequestContext, runWithRequestContext } from "@/lib/request-context";
import { notImplemented } from "../not-implemented";

// One error class, one table from code to status, one translator from anything thrown to the
// response a client sees. Clients get a stable code and a safe message; the log gets the rest.

// TODO: replace each 0 with the HTTP status a client gets for that code (the lesson's README
// lists them). Keep `as const`: ErrorCode below is read from this table's keys.
export const ERROR_STATUS = {
  VALIDATION_ERROR: 0,
  UNAUTHORIZED: 0,
  FORBIDDEN: 0,
  NOT_FOUND: 0,
  CONFLICT: 0,
  EMAIL_EXISTS: 0,
  PAYLOAD_TOO_LARGE: 0,
  RATE_LIMITED: 0,
  INTERNAL_ERROR: 0,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorDetails = Record<string, string[]>;

export type ApiErrorOptions = {
  details?: ErrorDetails;
  /** Extra response headers, such as Retry-After. */
  headers?: Record<string, string>;
  /** What went wrong internally: logged, never sent to the client. */
  cause?: unknown;
};

export class ApiError extends Error {
  readonly details?: ErrorDetails;
  readonly headers?: Record<string, string>;

  constructor(
    public readonly statusCode: number,
    public readonly code: ErrorCode,
    message: string,
    options: ApiErrorOptions = {},
  ) {
    // TODO: pass the message and options.cause on to Error (its second argument takes
    // { cause }), set this.name to "ApiError", and keep options.details and options.headers.
    // statusCode and code are already stored: `public readonly` parameters do that.
    super(message);
    notImplemented("lesson-1", "ApiError constructor");
  }
}

/** An ApiError whose status comes from the table, so the two can never disagree. */
export function apiError(code: ErrorCode, message: string, options?: ApiErrorOptions): ApiError {
  // TODO: return a new ApiError whose status is ERROR_STATUS[code].
  return notImplemented("lesson-1", "apiError");
}

export type ErrorBody = {
  error: { code: ErrorCode; message: string; details?: ErrorDetails; requestId?: string };
};

/** Zod issues as `{ field: [messages] }`; unknown fields are named so the client can drop them. */
export function validationDetails(error: ZodError): ErrorDetails {
  // TODO: for each issue in error.issues, add its message under its path joined with dots
  // ("address.city"), or under "_root" when the path is empty. An issue with
  // code "unrecognized_keys" lists the unknown fields in issue.keys: add "Unknown field" under
  // each of them (prefixed with the path when it has one). A field can collect
  // several messages.
  return notImplemented("lesson-1", "validationDetails");
}

/** Translates anything thrown into a safe ApiError; unexpected errors become a generic 500. */
export function toApiError(error: unknown): ApiError {
  // TODO: in this order,
  // - an ApiError: return it unchanged;
  // - a ZodError: 400 VALIDATION_ERROR "Invalid request" with validationDetails(error);
  // - a SyntaxError (request.json() on a malformed body): 400 VALIDATION_ERROR "Malformed JSON body";
  // - a Prisma unique-constraint error (an object whose `code` is "P2002"; isUniqueViolation
  //   from "@/lib/prisma-errors" checks exactly that):
  //   409 CONFLICT "Resource already exists" (its own message names the duplicate value);
  // - anything else, even a thrown string or null: 500 INTERNAL_ERROR "Unexpected error".
  // Keep what was thrown as the cause of every new ApiError, so the log can show it.
  return notImplemented("lesson-1", "toApiError");
}

export function errorResponse(error: unknown): NextResponse<ErrorBody> {
  // TODO: translate with toApiError; log a 5xx with logger.error({ msg: "unhandled error", err })
  // where err is its cause (or the ApiError itself when it has none); then answer
  // NextResponse.json(body, { status, headers }) with the error's headers and the body
  // { error: { code, message, details (only when there are some), requestId } }, where
  // requestId comes from getRequestContext().
  return notImplemented("lesson-1", "errorResponse");
}

export type RouteContext<P = Record<string, string | string[]>> = { params: Promise<P> };
export type RouteHandler<C> = (request: NextRequest, context: C) => Promise<Response>;

/**
 * Gives a route handler its request id and one log line, and turns anything it throws into the
 * error envelope: no handler needs a try/catch of its own.
 */
export function withErrorHandler<C = RouteContext>(handler: RouteHandler<C>): RouteHandler<C> {
  // TODO: return a route handler that, inside runWithRequestContext(request, async () => …),
  // awaits handler(request, context), turns anything it throws into errorResponse(error), and
  // passes whichever response it got through finishResponse (below, already written).
  return notImplemented("lesson-1", "withErrorHandler");
}

// Already written: puts the request id and other layers' headers on the response and logs the
// request's one line.
function finishResponse(response: Response): Response {
  const context = getRequestContext();
  if (!context) return response;
  context.responseHeaders.forEach((value, name) => {
    if (!response.headers.has(name)) response.headers.set(name, value);
  });
  response.headers.set("x-request-id", context.requestId);
  logger.info({
    msg: "request",
    method: context.method,
    path: context.path,
    status: response.status,
    durationMs: Math.round((performance.now() - context.startedAt) * 100) / 100,
  });
  return response;
}
