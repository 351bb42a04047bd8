import { authenticate, authorize, type AuthUser } from "@/lib/auth";
import { config } from "@/lib/config";
import { assertAllowed, RateLimiter, rateLimitHeaders } from "@/lib/rate-limit";
import { addResponseHeaders, setContextUser } from "@/lib/request-context";
import type { Role } from "@/schemas/user";

// The front door of every route: who is calling, are they over their limit, may they do this.
// Callers are counted by user once known, and by address otherwise, so that guessing tokens is
// limited too.

let limiter: RateLimiter | undefined;

export function requestLimiter(): RateLimiter {
  const { RATE_LIMIT_MAX, RATE_LIMIT_WINDOW_MS, RATE_LIMIT_MAX_KEYS } = config();
  return (limiter ??= new RateLimiter({ max: RATE_LIMIT_MAX, windowMs: RATE_LIMIT_WINDOW_MS, maxKeys: RATE_LIMIT_MAX_KEYS }));
}

/**
 * The caller's address. Next's server appends the socket's address to x-forwarded-for, so the
 * last entry is the one a client cannot forge; behind a trusted proxy (TRUST_PROXY=true) the
 * first entry is the original client.
 */
export function clientAddress(request: Request): string {
  const hops = (request.headers.get("x-forwarded-for") ?? "").split(",").map((hop) => hop.trim()).filter(Boolean);
  const address = config().TRUST_PROXY ? hops[0] : hops[hops.length - 1];
  return address ?? request.headers.get("x-real-ip") ?? "unknown";
}

export function limit(key: string): void {
  const result = requestLimiter().hit(key);
  addResponseHeaders(rateLimitHeaders(result));
  assertAllowed(result);
}

/** Counts a request that has no user, such as a health check. */
export function limitByAddress(request: Request): void {
  limit(`ip:${clientAddress(request)}`);
}

/** Authenticates, rate-limits and (given roles) authorises the caller; returns who it is. */
export async function guard(request: Request, roles?: readonly Role[]): Promise<AuthUser> {
  let user: AuthUser;
  try {
    user = await authenticate(request);
  } catch (error) {
    limitByAddress(request);
    throw error;
  }
  setContextUser(String(user.id));
  limit(`user:${user.id}`);
  if (roles) authorize(user, roles);
  return user;
}
