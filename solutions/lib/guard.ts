import { authenticate, authorize, type AuthUser } from "@/lib/auth";
import { config } from "@/lib/config";
import { assertAllowed, RateLimiter, rateLimitHeaders } from "@/lib/rate-limit";
import { addResponseHeaders, setContextUser } from "@/lib/request-context";
import type { Role } from "@/schemas/user";
import { userService } from "@/services/user-service";

// The front door of every route: who is calling, are they over their limit, may they do this.
// Callers are counted by user once known, and by address otherwise, so that guessing tokens is
// limited too. Users and addresses are counted by two limiters: addresses come from a header a
// client can forge, and a flood of made-up addresses must not evict the users' windows.

export type LimiterKind = "user" | "address";
const limiters = new Map<LimiterKind, RateLimiter>();

export function requestLimiter(kind: LimiterKind = "user"): RateLimiter {
  let limiter = limiters.get(kind);
  if (!limiter) {
    const { RATE_LIMIT_MAX, RATE_LIMIT_WINDOW_MS, RATE_LIMIT_MAX_KEYS } = config();
    limiter = new RateLimiter({ max: RATE_LIMIT_MAX, windowMs: RATE_LIMIT_WINDOW_MS, maxKeys: RATE_LIMIT_MAX_KEYS });
    limiters.set(kind, limiter);
  }
  return limiter;
}

/**
 * The caller's address, from x-forwarded-for. `next start` fills that header from the socket
 * only when the client sent none, so without a proxy in front a client can forge it and dodge
 * the per-address limit (never the per-user one). Run behind a proxy that sets the header and
 * set TRUST_PROXY=true: the first entry is then the original client. Without it, the last entry
 * is the hop nearest to us.
 */
export function clientAddress(request: Request): string {
  const hops = (request.headers.get("x-forwarded-for") ?? "").split(",").map((hop) => hop.trim()).filter(Boolean);
  const address = config().TRUST_PROXY ? hops[0] : hops[hops.length - 1];
  return address ?? request.headers.get("x-real-ip") ?? "unknown";
}

export function limit(key: string, kind: LimiterKind = "user"): void {
  const result = requestLimiter(kind).hit(key);
  addResponseHeaders(rateLimitHeaders(result));
  assertAllowed(result);
}

/** Counts a request that has no user, such as a health check. */
export function limitByAddress(request: Request): void {
  limit(`ip:${clientAddress(request)}`, "address");
}

/** Authenticates, rate-limits and (given roles) authorises the caller; returns who it is. */
export async function guard(request: Request, roles?: readonly Role[]): Promise<AuthUser> {
  let user: AuthUser;
  try {
    // The service's users cache answers for the caller, so most requests skip the database;
    // its writes invalidate that cache, so a deleted or demoted caller is refused at once.
    user = await authenticate(request, userService);
  } catch (error) {
    limitByAddress(request);
    throw error;
  }
  setContextUser(String(user.id));
  limit(`user:${user.id}`);
  if (roles) authorize(user, roles);
  return user;
}
