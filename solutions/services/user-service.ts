import { config } from "@/lib/config";
import { MemoryCache } from "@/lib/cache";
import { CoherentCache, type Cache } from "@/lib/cache-redis";
import { redisConnection } from "@/lib/redis";
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

// The users API's business rules. It knows who is asking (the actor) but nothing of HTTP, and
// it reaches data only through the repository it is given, so tests can hand it a fake.

export const USERS_CACHE_PREFIX = "users:";

// The cache is a MemoryCache in one process, or a CoherentCache (lib/cache-redis.ts) that several
// instances keep correct through Redis; both are awaited, since the second one asks Redis.
export type UserServiceDeps = { users: UserRepository; cache: Cache; ttlMs: number };

function unwrap(result: GuardedResult): User {
  if (result.ok) return result.user;
  if (result.reason === "not_found") throw apiError("NOT_FOUND", "User not found");
  throw apiError("CONFLICT", "The last admin cannot be removed or demoted");
}

function assertSelfOrAdmin(actor: AuthUser, id: bigint): void {
  if (actor.role !== "admin" && actor.id !== id) throw apiError("FORBIDDEN", "Insufficient permissions");
}

export function createUserService({ users, cache, ttlMs }: UserServiceDeps) {
  async function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = await cache.get<T>(key);
    if (hit !== null) return hit;
    const value = await load();
    if (value !== null) await cache.set(key, value, ttlMs);
    return value;
  }

  // Every write drops every cached user and page: simple, and never serves a stale list.
  // Awaited before the write answers: with several instances, the others must see it first.
  const invalidate = async () => {
    await cache.invalidatePrefix(USERS_CACHE_PREFIX);
  };

  // No actor check: authentication calls this to learn who the caller is, on every request.
  // Reading through the users cache saves a database read per request and stays safe because
  // every write in this process drops the whole `users:` prefix, so a user deleted or demoted
  // here loses access on their very next request. With several server instances (REDIS_URL set)
  // the CoherentCache makes that hold on every instance: each read checks Redis for writes.
  const findById = (id: bigint): Promise<User | null> =>
    cached(`${USERS_CACHE_PREFIX}id:${id}`, () => users.findById(id));

  return {
    async createUser(input: CreateUserInput): Promise<User> {
      // The check gives the common case a clear answer; the repository maps the race (two
      // creates at once) to the same 409 through the unique index.
      if (await users.findByEmail(input.email)) throw apiError("EMAIL_EXISTS", "Email already exists");
      const user = await users.create(input);
      await invalidate();
      return user;
    },

    findById,

    async getUser(id: bigint, actor: AuthUser): Promise<User> {
      assertSelfOrAdmin(actor, id);
      const user = await findById(id);
      if (!user) throw apiError("NOT_FOUND", "User not found");
      return user;
    },

    listUsers(query: ListUsersQuery): Promise<UserPage> {
      return cached(`${USERS_CACHE_PREFIX}list:${query.limit}:${query.cursor ?? ""}`, () => users.list(query));
    },

    async updateUser(id: bigint, input: UpdateUserInput, actor: AuthUser): Promise<User> {
      assertSelfOrAdmin(actor, id);
      if (actor.role !== "admin" && input.role !== undefined) {
        throw apiError("FORBIDDEN", "Only admins can change roles");
      }
      if (input.email !== undefined) {
        const owner = await users.findByEmail(input.email);
        if (owner && owner.id !== id) throw apiError("EMAIL_EXISTS", "Email already exists");
      }
      const user = unwrap(await users.update(id, input));
      await invalidate();
      return user;
    },

    async deleteUser(id: bigint): Promise<void> {
      unwrap(await users.delete(id));
      await invalidate();
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;

function usersCache(): Cache {
  const local = new MemoryCache({ maxEntries: config().CACHE_MAX_ENTRIES });
  const connection = redisConnection();
  return connection ? new CoherentCache({ ...connection, local }) : local;
}

const cache = usersCache();

export const userService = createUserService({ users: userRepository, cache, ttlMs: config().CACHE_TTL_MS });

/**
 * Forgets every cached user and page, as any write through the service does. For tests that put
 * the users table back behind the service's back.
 */
export async function forgetCachedUsers(): Promise<void> {
  await cache.invalidatePrefix(USERS_CACHE_PREFIX);
}
