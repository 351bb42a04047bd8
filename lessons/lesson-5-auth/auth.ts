import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { authSecret } from "@/lib/config";
import { apiError } from "@/lib/errors";
import { userRepository, type UserRepository } from "@/repositories/user-repository";
import { idSchema, type Role } from "@/schemas/user";
import { notImplemented } from "../not-implemented";

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

function secretKey(secret = authSecret()): Uint8Array {
  return new TextEncoder().encode(secret);
}

// TODO: sign a JWT with jose's `new SignJWT({})`: protected header { alg: ALGORITHM, typ: "JWT" },
// subject = the user id as a string, issuer TOKEN_ISSUER, audience TOKEN_AUDIENCE, issued-at now,
// expiry `options.expiresIn` (default "1h"), a not-before time only when `options.notBefore` is
// given, and sign it with `secretKey(options.secret)`.
export async function signToken(
  user: { id: bigint },
  options: { expiresIn?: string | number; notBefore?: string | number; secret?: string } = {},
): Promise<string> {
  return notImplemented("lesson-5", "signToken");
}

// TODO: verify with jose's `jwtVerify(token, secretKey(), { … })`, allowing only ALGORITHM and
// requiring this issuer, this audience and the "sub" and "exp" claims. Return the subject as a
// BigInt when it is a valid user id (`idSchema.safeParse(sub)`, as for ids in URLs), otherwise
// null. Return
// null when jose rejects the token (its errors are `joseErrors.JOSEError`); rethrow anything else.
/** The user id a token proves, or null for any token that is not valid right now. */
export async function verifyToken(token: string): Promise<bigint | null> {
  return notImplemented("lesson-5", "verifyToken");
}

// TODO: return the token after "Bearer " (any case, one or more spaces), or null when the header
// is missing, uses another scheme, has no token, or the token holds anything but the characters
// A-Z a-z 0-9 - . _ ~ + / =
/** The token from an `Authorization: Bearer <token>` header; the scheme is case-insensitive. */
export function bearerToken(header: string | null): string | null {
  return notImplemented("lesson-5", "bearerToken");
}

// TODO: read the bearer token from the "authorization" header, verify it, and load the user with
// `users.findById(id)`. Answer every failure (no header, bad token, unknown user) with the same
// apiError("UNAUTHORIZED", UNAUTHORIZED_MESSAGE), and return { id, email, role } from the
// database row: the role comes from the database, never from the token.
export async function authenticate(
  request: Request,
  users: Pick<UserRepository, "findById"> = userRepository,
): Promise<AuthUser> {
  return notImplemented("lesson-5", "authenticate");
}

// TODO: throw apiError("FORBIDDEN", "Insufficient permissions") unless the user's role is one of
// `roles`.
export function authorize(user: AuthUser, roles: readonly Role[]): void {
  notImplemented("lesson-5", "authorize");
}
