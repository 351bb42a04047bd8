// Mistake: jwtVerify without `algorithms`, so the token's own header chooses the algorithm.

import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { authSecret } from "@/lib/config";
import { apiError } from "@/lib/errors";
import { userRepository, type UserRepository } from "@/repositories/user-repository";
import { idSchema, type Role } from "@/schemas/user";

// Bearer-token authentication with HS256 JWTs, and role authorization. The token only says who
// the caller is; their role is read from the user store on every request (the API passes the
// users service, whose cache every write drops), so a demoted or deleted user loses access at
// once instead of when their token expires.

export type AuthUser = { id: bigint; email: string; role: Role };

export const TOKEN_ISSUER = "backend-patterns-workbook";
export const TOKEN_AUDIENCE = "users-api";
const ALGORITHM = "HS256";

// One message for every 401, so a caller cannot tell a missing token from a forged one.
export const UNAUTHORIZED_MESSAGE = "Missing or invalid token";

// jose imports a raw Uint8Array secret as a key again on every call, which costs more than
// checking the signature itself; each secret is imported once and the key reused.
const keys = new Map<string, Promise<CryptoKey>>();

function secretKey(secret = authSecret()): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    keys.set(secret, key);
  }
  return key;
}

export async function signToken(
  user: { id: bigint },
  options: { expiresIn?: string | number; notBefore?: string | number; secret?: string } = {},
): Promise<string> {
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
    .setSubject(String(user.id))
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "1h");
  if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
  return jwt.sign(await secretKey(options.secret));
}

/** The user id a token proves, or null for any token that is not valid right now. */
export async function verifyToken(token: string): Promise<bigint | null> {
  try {
    const { payload } = await jwtVerify(token, await secretKey(), {
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      requiredClaims: ["sub", "exp"],
    });
    // The subject is a user id: the same rule as an id in a URL.
    const id = idSchema.safeParse(payload.sub);
    return id.success ? id.data : null;
  } catch (error) {
    if (error instanceof joseErrors.JOSEError) return null;
    throw error;
  }
}

/** The token from an `Authorization: Bearer <token>` header; the scheme is case-insensitive. */
export function bearerToken(header: string | null): string | null {
  const match = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i.exec(header ?? "");
  return match ? match[1]! : null;
}

export async function authenticate(
  request: Request,
  users: Pick<UserRepository, "findById"> = userRepository,
): Promise<AuthUser> {
  const token = bearerToken(request.headers.get("authorization"));
  const id = token ? await verifyToken(token) : null;
  const user = id === null ? null : await users.findById(id);
  if (!user) throw apiError("UNAUTHORIZED", UNAUTHORIZED_MESSAGE);
  return { id: user.id, email: user.email, role: user.role as Role };
}

export function authorize(user: AuthUser, roles: readonly Role[]): void {
  if (!roles.includes(user.role)) throw apiError("FORBIDDEN", "Insufficient permissions");
}
