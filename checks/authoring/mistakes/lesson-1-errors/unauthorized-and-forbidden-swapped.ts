// Mistake: 401 and 403 swapped. 401 means "who are you?" (no valid credentials), 403 "you may not".

import { NextResponse, type NextRequest } from "next/server";
import { ZodError } from "zod";
import { logger } from "@/lib/logger";
import { isUniqueViolation } from "@/lib/prisma-errors";
import { getRequestContext, runWithRequestContext } from "@/lib/request-context";

// One error class, one table from code to status, one translator from anything thrown to the
// response a client sees. Clients get a stable code and a safe message; the log gets the rest.

export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  UNAUTHORIZED: 403,
  FORBIDDEN: 401,
  NOT_FOUND: 404,
  CONFLICT: 409,
  EMAIL_EXISTS: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
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
    super(message, { cause: options.cause });
    this.name = "ApiError";
    this.details = options.details;
    this.headers = options.headers;
  }
}

/** An ApiError whose status comes from the table, so the two can never disagree. */
export function apiError(code: ErrorCode, message: string, options?: ApiErrorOptions): ApiError {
  return new ApiError(ERROR_STATUS[code], code, message, options);
}

export type ErrorBody = {
  error: { code: ErrorCode; message: string; details?: ErrorDetails; requestId?: string };
};

/** Zod issues as `{ field: [messages] }`; unknown fields are named so the client can drop them. */
export function validationDetails(error: ZodError): ErrorDetails {
  // Keys come from the client (an unknown field is named back), so they are collected in a Map:
  // on a plain object, a field called "__proto__" or "constructor" would find Object.prototype's
  // members instead of an empty slot. fromEntries then defines each key as an own property.
  const details = new Map<string, string[]>();
  const add = (key: string, message: string) => {
    const messages = details.get(key);
    if (messages) messages.push(message);
    else details.set(key, [message]);
  };
  for (const issue of error.issues) {
    const key = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const unknown of issue.keys) add(key ? `${key}.${unknown}` : unknown, "Unknown field");
    } else {
      add(key || "_root", issue.message);
    }
  }
  return Object.fromEntries(details);
}

/** Translates anything thrown into a safe ApiError; unexpected errors become a generic 500. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ZodError) {
    return apiError("VALIDATION_ERROR", "Invalid request", { details: validationDetails(error), cause: error });
  }
  // request.json() throws SyntaxError on a malformed body: the client's mistake, not ours.
  if (error instanceof SyntaxError) return apiError("VALIDATION_ERROR", "Malformed JSON body", { cause: error });
  // A unique constraint that no layer mapped; its message holds the duplicate value, so drop it.
  if (isUniqueViolation(error)) return apiError("CONFLICT", "Resource already exists", { cause: error });
  return apiError("INTERNAL_ERROR", "Unexpected error", { cause: error });
}

export function errorResponse(error: unknown): NextResponse<ErrorBody> {
  const apiErr = toApiError(error);
  if (apiErr.statusCode >= 500) logger.error({ msg: "unhandled error", err: apiErr.cause ?? apiErr });
  const body: ErrorBody = {
    error: {
      code: apiErr.code,
      message: apiErr.message,
      ...(apiErr.details && { details: apiErr.details }),
      requestId: getRequestContext()?.requestId,
    },
  };
  return NextResponse.json(body, { status: apiErr.statusCode, headers: apiErr.headers });
}

export type RouteContext<P = Record<string, string | string[]>> = { params: Promise<P> };
export type RouteHandler<C> = (request: NextRequest, context: C) => Promise<Response>;

/**
 * Gives a route handler its request id and one log line, and turns anything it throws into the
 * error envelope: no handler needs a try/catch of its own.
 */
export function withErrorHandler<C = RouteContext>(handler: RouteHandler<C>): RouteHandler<C> {
  return (request, context) =>
    runWithRequestContext(request, async () => {
      let response: Response;
      try {
        response = await handler(request, context);
      } catch (error) {
        response = errorResponse(error);
      }
      return finishResponse(response);
    });
}

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
