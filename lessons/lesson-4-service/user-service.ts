import { config } from "@/lib/config";
import { MemoryCache } from "@/lib/cache";
import { apiError } from "@/lib/errors";
import type { AuthUser } from "@/lib/auth";
import {
  userRepository,
  type GuardedResult,
  type User,
  type UserPage,
  type UserRepository,
} from "@/repositories/user-repository";
import type { CreateUserInput, ListUsersQuery, UpdateUserInput } from "@/schemas/user";
import { notImplemented } from "../not-implemented";

// The users API's business rules. It knows who is asking (the actor) but nothing of HTTP, and
// it reaches data only through the repository it is given, so tests can hand it a fake.
//
// Tools you will want: apiError(code, message) from "@/lib/errors" for every refusal;
// cache.get / cache.set(key, value, ttlMs) / cache.invalidatePrefix(prefix) from MemoryCache;
// and the repository's GuardedResult for update and delete.

export const USERS_CACHE_PREFIX = "users:";

export type UserServiceDeps = { users: UserRepository; cache: MemoryCache; ttlMs: number };

export function createUserService({ users, cache, ttlMs }: UserServiceDeps) {
  return {
    // TODO: 409 EMAIL_EXISTS "Email already exists" when users.findByEmail finds the email;
    // otherwise users.create(input). After the write, drop every cached `users:` key.
    async createUser(input: CreateUserInput): Promise<User> {
      return notImplemented("lesson-4", "createUser");
    },

    // TODO: users.findById(id) read through the cache: try `users:id:<id>` first; on a miss ask
    // the repository and cache the user for ttlMs, but never cache a missing user (null). No
    // actor check: authentication calls this on every request to learn who the caller is, and
    // the cache spares it a database read, while every write's invalidation makes a deleted or
    // demoted user lose access on their next request.
    async findById(id: bigint): Promise<User | null> {
      return notImplemented("lesson-4", "findById");
    },

    // TODO: only an admin or the user themselves may read (else 403 FORBIDDEN "Insufficient
    // permissions", before touching the repository). Then read through the cache as findById
    // does (the same key); a missing user is 404 NOT_FOUND "User not found".
    async getUser(id: bigint, actor: AuthUser): Promise<User> {
      return notImplemented("lesson-4", "getUser");
    },

    // TODO: users.list(query), cached per page: one key for each limit and cursor, starting
    // with USERS_CACHE_PREFIX so a write can drop them all. (The route already checks admin.)
    async listUsers(query: ListUsersQuery): Promise<UserPage> {
      return notImplemented("lesson-4", "listUsers");
    },

    // TODO: an admin may change any field of anyone; a user only their own name and email
    // (someone else: 403 "Insufficient permissions"; any `role` from a non-admin: 403 "Only
    // admins can change roles"). An email owned by another user: 409 EMAIL_EXISTS. Then
    // users.update: not_found → 404 NOT_FOUND "User not found"; last_admin → 409 CONFLICT
    // "The last admin cannot be removed or demoted". Drop the cached `users:` keys afterwards.
    async updateUser(id: bigint, input: UpdateUserInput, actor: AuthUser): Promise<User> {
      return notImplemented("lesson-4", "updateUser");
    },

    // TODO: users.delete(id), mapping not_found and last_admin as in updateUser, then drop the
    // cached `users:` keys. (The route already checks that the actor is an admin.)
    async deleteUser(id: bigint): Promise<void> {
      return notImplemented("lesson-4", "deleteUser");
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;

export const userService = createUserService({
  users: userRepository,
  cache: new MemoryCache({ maxEntries: config().CACHE_MAX_ENTRIES }),
  ttlMs: config().CACHE_TTL_MS,
});
