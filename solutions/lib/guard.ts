import { isIP } from "node:net";
import { authenticate, authorize, type AuthUser } from "@/lib/auth";
import { config } from "@/lib/config";
import { apiError } from "@/lib/errors";
import { assertAllowed, RateLimiter, rateLimitHeaders } from "@/lib/rate-limit";
import { type Limiter, RedisRateLimiter } from "@/lib/rate-limit-redis";
import { redisConnection } from "@/lib/redis";
import { addResponseHeaders, setContextUser } from "@/lib/request-context";
import type { Role } from "@/schemas/user";
import { userService } from "@/services/user-service";

// The front door of every route: who is calling, are they over their limit, may they do this,
// and (for a GET) did they send a body it cannot have.
// Callers are counted by user once known, and by address otherwise, so that guessing tokens is
// limited too. Users and addresses are counted by two limiters: addresses come from a header a
// client can forge, and a flood of made-up addresses must not evict the users' windows.
// With REDIS_URL set, the windows live in Redis and every instance counts against the same limit;
// while Redis is unavailable each instance counts alone, in memory (see RedisRateLimiter).

export type LimiterKind = "user" | "address";
const memoryLimiters = new Map<LimiterKind, RateLimiter>();
const limiters = new Map<LimiterKind, Limiter>();

/** This process's in-memory limiter: the one in use without Redis, and the fallback with it. */
export function requestLimiter(kind: LimiterKind = "user"): RateLimiter {
  let limiter = memoryLimiters.get(kind);
  if (!limiter) {
    const { RATE_LIMIT_MAX, RATE_LIMIT_WINDOW_MS, RATE_LIMIT_MAX_KEYS } = config();
    limiter = new RateLimiter({ max: RATE_LIMIT_MAX, windowMs: RATE_LIMIT_WINDOW_MS, maxKeys: RATE_LIMIT_MAX_KEYS });
    memoryLimiters.set(kind, limiter);
  }
  return limiter;
}

/** The limiter requests are counted by: in Redis when REDIS_URL is set, else in memory. */
export function activeLimiter(kind: LimiterKind = "user"): Limiter {
  let limiter = limiters.get(kind);
  if (!limiter) {
    const connection = redisConnection();
    const fallback = requestLimiter(kind);
    limiter = connection
      ? new RedisRateLimiter({
          ...connection,
          max: fallback.max,
          windowMs: fallback.windowMs,
          prefix: "ratelimit:",
          fallback,
        })
      : fallback;
    limiters.set(kind, limiter);
  }
  return limiter;
}

// The longest textual IP address (IPv6 with an embedded IPv4 address, 45 characters) plus room
// for a zone ("%eth0"). Anything longer is not an address, whatever it claims.
const MAX_ADDRESS_LENGTH = 64;

/** Every value that is not an IP address is counted in this one bucket. */
export const INVALID_ADDRESS = "invalid";

/**
 * The address as a rate-limit key: an IPv4 or IPv6 address (a port a proxy appended is
 * dropped, IPv6 is lower-cased), or INVALID_ADDRESS. A client can put anything in
 * x-forwarded-for; were every value its own key, 15 KB of made-up text per request would become
 * 15 KB of memory per request (in the limiter, or in Redis) for as long as the window lasts.
 */
export function addressKey(value: string): string {
  if (value.length > MAX_ADDRESS_LENGTH) return INVALID_ADDRESS;
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(value);
  const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(value);
  const address = bracketed?.[1] ?? withPort?.[1] ?? value;
  return isIP(address) ? address.toLowerCase() : INVALID_ADDRESS;
}

/**
 * The caller's address, from x-forwarded-for. `next start` fills that header from the socket
 * only when the client sent none, so without a proxy in front a client can forge it and dodge
 * the per-address limit (never the per-user one). Run behind a proxy that sets the header and
 * set TRUST_PROXY=true: the first entry is then the original client. Without it, the last entry
 * is the hop nearest to us.
 */
export function clientAddress(request: Request): string {
  const hops = (request.headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((hop) => hop.trim())
    .filter(Boolean);
  const address = config().TRUST_PROXY ? hops[0] : hops[hops.length - 1];
  const sent = address ?? request.headers.get("x-real-ip")?.trim();
  return sent ? addressKey(sent) : "unknown";
}

export async function limit(key: string, kind: LimiterKind = "user"): Promise<void> {
  const result = await activeLimiter(kind).hit(key);
  addResponseHeaders(rateLimitHeaders(result));
  assertAllowed(result);
}

/** Counts a request that has no user, such as a health check. */
export async function limitByAddress(request: Request): Promise<void> {
  await limit(`ip:${clientAddress(request)}`, "address");
}

/**
 * Answers 400 to a GET (or HEAD) that frames a body: a Transfer-Encoding, or a Content-Length
 * other than exactly 0. Such a body means nothing, and on /api/users it would hide a `__proto__`
 * query parameter: the proxy, which refuses that parameter, skips every request that frames a
 * body (proxy.ts), and the route never sees it. A GET the proxy skips is therefore refused here.
 */
export function refuseBodyOnGet(request: Request): void {
  if (request.method !== "GET" && request.method !== "HEAD") return;
  const length = request.headers.get("content-length");
  if (request.headers.has("transfer-encoding") || (length !== null && length !== "0")) {
    throw apiError("VALIDATION_ERROR", "A GET request has no body");
  }
}

/** Authenticates, rate-limits and (given roles) authorizes the caller; returns who it is. */
export async function guard(request: Request, roles?: readonly Role[]): Promise<AuthUser> {
  let user: AuthUser;
  try {
    // The service's users cache answers for the caller, so most requests skip the database;
    // its writes invalidate that cache, so a deleted or demoted caller is refused at once.
    user = await authenticate(request, userService);
  } catch (error) {
    await limitByAddress(request);
    throw error;
  }
  setContextUser(String(user.id));
  await limit(`user:${user.id}`);
  if (roles) authorize(user, roles);
  // Last, where a body is judged: anonymous callers still get 401 whatever they send, and it counts.
  refuseBodyOnGet(request);
  return user;
}

/** The front door of a route anyone may call, such as the health check: counted by address. */
export async function guardPublic(request: Request): Promise<void> {
  await limitByAddress(request);
  refuseBodyOnGet(request);
}
