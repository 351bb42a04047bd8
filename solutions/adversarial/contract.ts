import { z } from "zod";
import { ERROR_STATUS, type ErrorCode } from "@/lib/errors";

// The API's documented contract, as the adversarial tests check it against every response:
// which statuses each route may answer, the exact shape of success and error bodies, and what
// must never appear in a body. Shared by the in-process tests and the ones over real HTTP.

export const ROUTES = [
  "GET /api/health",
  "GET /api/users",
  "POST /api/users",
  "GET /api/users/[id]",
  "PATCH /api/users/[id]",
  "DELETE /api/users/[id]",
] as const;
export type Route = (typeof ROUTES)[number];

export const DOCUMENTED_STATUSES: Record<Route, readonly number[]> = {
  "GET /api/health": [200, 400, 429],
  "GET /api/users": [200, 400, 401, 403, 429],
  "POST /api/users": [201, 400, 401, 403, 409, 413, 415, 429],
  "GET /api/users/[id]": [200, 400, 401, 403, 404, 429],
  "PATCH /api/users/[id]": [200, 400, 401, 403, 404, 409, 413, 415, 429],
  "DELETE /api/users/[id]": [204, 400, 401, 403, 404, 409, 429],
};

/** What only a stack trace, a file path or the database would put in a response. */
export const LEAK =
  /\bat [^\s()]+ \(|node:internal|node_modules|\.[cm]?[jt]sx?:\d+|sqlite|prisma|invocation|constraint|\bP2\d{3}\b|\b(SELECT|INSERT|UPDATE|DELETE) .*\b(FROM|INTO|SET)\b/i;

const userDto = z.strictObject({
  id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  name: z.string(),
  email: z.string(),
  role: z.enum(["user", "admin"]),
});

const SUCCESS_BODIES: Record<Route, z.ZodType | null> = {
  "GET /api/health": z.strictObject({ status: z.literal("ok") }),
  "GET /api/users": z.strictObject({ users: z.array(userDto), nextCursor: z.number().int().positive().nullable() }),
  "POST /api/users": z.strictObject({ user: userDto }),
  "GET /api/users/[id]": z.strictObject({ user: userDto }),
  "PATCH /api/users/[id]": z.strictObject({ user: userDto }),
  "DELETE /api/users/[id]": null,
};

const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

// details is checked by hand: its keys come from the client and include "__proto__".
const errorBody = z.strictObject({
  error: z.strictObject({
    code: z.enum(ERROR_CODES),
    message: z.string().min(1).max(200),
    details: z.unknown().optional(),
    requestId: z.string().min(1),
  }),
});

function detailProblems(details: unknown): string[] {
  if (details === undefined) return [];
  if (typeof details !== "object" || details === null || Array.isArray(details)) return ["details is not an object"];
  const problems: string[] = [];
  for (const [field, messages] of Object.entries(details)) {
    const valid =
      Array.isArray(messages) && messages.length > 0 && messages.every((m) => typeof m === "string" && m.length > 0);
    if (!valid) problems.push(`details[${JSON.stringify(field)}] is not a list of messages`);
    else if (messages.some((m: string) => LEAK.test(m)))
      problems.push(`details[${JSON.stringify(field)}] leaks: ${messages}`);
  }
  return problems;
}

/** Everything wrong with one response; an empty list when it keeps the contract. */
export function contractViolations(route: Route, status: number, headers: Headers, text: string): string[] {
  const problems: string[] = [];
  if (!DOCUMENTED_STATUSES[route].includes(status)) problems.push(`status ${status} is not documented for ${route}`);
  const requestId = headers.get("x-request-id");
  if (!requestId) problems.push("no x-request-id header");

  if (status === 204) {
    if (text !== "") problems.push(`204 with a body: ${text.slice(0, 200)}`);
    return problems;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [...problems, `body is not JSON: ${text.slice(0, 200)}`];
  }

  if (status < 400) {
    const schema = SUCCESS_BODIES[route];
    const parsed = schema?.safeParse(body);
    if (!parsed?.success) problems.push(`success body does not match ${route}: ${text.slice(0, 300)}`);
    return problems;
  }

  const parsed = errorBody.safeParse(body);
  if (!parsed.success) return [...problems, `error body is not the envelope: ${text.slice(0, 300)}`];
  const { code, message, details, requestId: bodyRequestId } = parsed.data.error;
  if (ERROR_STATUS[code] !== status) problems.push(`code ${code} sent with status ${status}`);
  if (bodyRequestId !== requestId) problems.push(`requestId ${bodyRequestId} differs from the header ${requestId}`);
  if (LEAK.test(message)) problems.push(`message leaks: ${message}`);
  problems.push(...detailProblems(details));
  return problems;
}
