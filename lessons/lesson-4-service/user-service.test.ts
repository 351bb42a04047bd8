import { describe, expect, it, vi } from "vitest";
import type { AuthUser } from "@/lib/auth";
import { MemoryCache } from "@/lib/cache";
import { ApiError } from "@/lib/errors";
import type { User, UserRepository } from "@/repositories/user-repository";
import { createFakeUserRepository } from "@/testing/fake-user-repository";
import { createUserService, USERS_CACHE_PREFIX } from "./user-service";

// No database here: the service gets an in-memory fake repository (with the real repository's
// rules: unique emails, BigInt ids, cursor paging, the last-admin guard) and a real MemoryCache
// whose clock the test moves by hand.

const TTL_MS = 60_000;

function setup() {
  const users = createFakeUserRepository([
    { id: 1n, name: "Ada", email: "ada@example.com", role: "admin" },
    { id: 2n, name: "Alice", email: "alice@example.com", role: "user" },
    { id: 3n, name: "Bob", email: "bob@example.com", role: "user" },
  ]);
  let now = 1_000_000;
  const cache = new MemoryCache({ now: () => now });
  const service = createUserService({ users, cache, ttlMs: TTL_MS });
  const advance = (ms: number) => {
    now += ms;
  };
  return { users, cache, service, advance };
}

const admin: AuthUser = { id: 1n, email: "ada@example.com", role: "admin" };
const alice: AuthUser = { id: 2n, email: "alice@example.com", role: "user" };
const MISSING = 99n;

/** The ApiError a promise rejects with; fails the test if it resolves or throws anything else. */
async function apiErrorOf(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    (value) =>
      expect.fail(
        `expected an ApiError, but the call succeeded with ${JSON.stringify(value, (_, v) => (typeof v === "bigint" ? `${v}n` : v))}`,
      ),
    (e: unknown) => e,
  );
  if (!(error instanceof ApiError)) throw error;
  return error;
}

function expectError(error: ApiError, statusCode: number, code: string, message: string) {
  expect({ statusCode: error.statusCode, code: error.code, message: error.message }).toEqual({
    statusCode,
    code,
    message,
  });
}

const names = (list: { users: User[] }) => list.users.map((user) => user.name);

type Service = ReturnType<typeof setup>["service"];

/** The repository, with every write waiting for `read` (another request) before it writes. */
function readingDuringWrites(users: UserRepository, read: () => Promise<unknown>): UserRepository {
  const after =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      await read();
      return write(...args);
    };
  return { ...users, create: after(users.create), update: after(users.update), delete: after(users.delete) };
}

describe("createUser", () => {
  it("stores the user and returns it with a BigInt id", async () => {
    const { service, users } = setup();

    const user = await service.createUser({ name: "Carol", email: "carol@example.com", role: "user" });

    expect(user).toMatchObject({ id: 4n, name: "Carol", email: "carol@example.com", role: "user" });
    expect(await users.findById(user.id)).toEqual(user);
  });

  it("answers 409 EMAIL_EXISTS when the email is taken, without writing", async () => {
    const { service, users } = setup();
    const create = vi.spyOn(users, "create");

    const error = await apiErrorOf(service.createUser({ name: "Copy", email: "bob@example.com", role: "user" }));

    expectError(error, 409, "EMAIL_EXISTS", "Email already exists");
    expect(create, "check the email with findByEmail before calling create").not.toHaveBeenCalled();
  });

  it("passes on the repository's 409 when another request takes the email first", async () => {
    const { service, users } = setup();
    vi.spyOn(users, "findByEmail").mockResolvedValue(null); // the other request commits after our check

    const error = await apiErrorOf(service.createUser({ name: "Copy", email: "bob@example.com", role: "user" }));

    expectError(error, 409, "EMAIL_EXISTS", "Email already exists");
    expect(users.all()).toHaveLength(3);
  });
});

describe("findById", () => {
  it.each([
    ["an admin", 1n, "Ada"],
    ["a user", 3n, "Bob"],
  ])("returns %s by id, with no actor to check", async (_, id, name) => {
    const { service } = setup();

    expect(await service.findById(id)).toMatchObject({ id, name });
  });

  it("returns null for an id nobody has", async () => {
    const { service } = setup();

    expect(await service.findById(MISSING)).toBeNull();
  });

  it("caches the user under users:id:<id>", async () => {
    const { service, cache } = setup();

    const user = await service.findById(3n);

    expect(cache.get(`${USERS_CACHE_PREFIX}id:3`), 'cache the user under the key "users:id:3"').toEqual(user);
  });

  it("serves a second read from the cache without asking the repository again", async () => {
    const { service, users } = setup();
    const findById = vi.spyOn(users, "findById");

    const first = await service.findById(2n);
    const second = await service.findById(2n);

    expect(second).toEqual(first);
    expect(findById, "the second read must come from the cache").toHaveBeenCalledTimes(1);
  });

  it.each([
    ["getUser, then findById", (s: Service) => s.getUser(2n, alice), (s: Service) => s.findById(2n)],
    ["findById, then getUser", (s: Service) => s.findById(2n), (s: Service) => s.getUser(2n, alice)],
  ])("shares its cache entry with getUser: %s asks the repository once", async (_, first, second) => {
    const { service, users } = setup();
    const findById = vi.spyOn(users, "findById");

    await first(service);
    expect(await second(service)).toMatchObject({ id: 2n, name: "Alice" });

    expect(findById, "getUser and findById must read the same users:id:<id> key").toHaveBeenCalledTimes(1);
  });

  it("does not cache a missing user, so a user created later is found", async () => {
    const { service, users, cache } = setup();
    expect(await service.findById(4n)).toBeNull();
    expect(cache.size, "a missing user must not be cached").toBe(0);

    await users.create({ name: "Late", email: "late@example.com", role: "user" }); // id 4, behind the service's back

    expect(await service.findById(4n)).toMatchObject({ id: 4n, name: "Late" });
  });

  it("answers null for a cached user once deleteUser has removed them", async () => {
    const { service } = setup();
    await service.findById(3n);

    await service.deleteUser(3n);

    expect(await service.findById(3n), "a deleted user must not be served from the cache").toBeNull();
  });

  it("reads the new role of a cached admin once updateUser has demoted them", async () => {
    const { service, users } = setup();
    await users.update(3n, { role: "admin" }); // a second admin, so the first may be demoted
    await service.findById(1n);

    await service.updateUser(1n, { role: "user" }, admin);

    expect(await service.findById(1n), "a demoted admin must not be served from the cache").toMatchObject({
      id: 1n,
      role: "user",
    });
  });
});

describe("getUser", () => {
  it.each([
    ["an admin reads any user", admin, 3n, "Bob"],
    ["a user reads themselves", alice, 2n, "Alice"],
  ])("returns the user when %s", async (_, actor, id, name) => {
    const { service } = setup();

    expect(await service.getUser(id, actor)).toMatchObject({ id, name });
  });

  it("answers 403 FORBIDDEN when a user reads someone else, without asking the repository", async () => {
    const { service, users } = setup();
    const findById = vi.spyOn(users, "findById");

    expectError(await apiErrorOf(service.getUser(3n, alice)), 403, "FORBIDDEN", "Insufficient permissions");
    expect(findById).not.toHaveBeenCalled();
  });

  it("answers 403, not 404, when a user asks for an id nobody has, so ids cannot be probed", async () => {
    const { service } = setup();

    expect((await apiErrorOf(service.getUser(MISSING, alice))).statusCode).toBe(403);
  });

  it("answers 404 NOT_FOUND for an id nobody has", async () => {
    const { service } = setup();

    expectError(await apiErrorOf(service.getUser(MISSING, admin)), 404, "NOT_FOUND", "User not found");
  });

  it("caches the user under users:id:<id>", async () => {
    const { service, cache } = setup();

    const user = await service.getUser(2n, admin);

    expect(cache.get(`${USERS_CACHE_PREFIX}id:2`), 'cache the user under the key "users:id:2"').toEqual(user);
  });

  it("serves a second read from the cache without asking the repository again", async () => {
    const { service, users } = setup();
    const findById = vi.spyOn(users, "findById");

    const first = await service.getUser(2n, admin);
    const second = await service.getUser(2n, alice);

    expect(second).toEqual(first);
    expect(findById, "the second read must come from the cache").toHaveBeenCalledTimes(1);
  });

  it("keeps each user's cache entry apart", async () => {
    const { service } = setup();

    await service.getUser(2n, admin);

    expect(await service.getUser(3n, admin)).toMatchObject({ name: "Bob" });
  });

  it("does not cache a missing user, so a user created later is found", async () => {
    const { service, users, cache } = setup();
    await apiErrorOf(service.getUser(4n, admin));
    expect(cache.size, "a missing user must not be cached").toBe(0);

    await users.create({ name: "Late", email: "late@example.com", role: "user" }); // id 4, behind the service's back

    expect(await service.getUser(4n, admin)).toMatchObject({ id: 4n, name: "Late" });
  });

  it("keeps serving the cached user until ttlMs has passed, then reads it again", async () => {
    const { service, users, advance } = setup();
    await service.getUser(2n, admin);
    await users.update(2n, { name: "Alice Renamed" }); // behind the service's back: no invalidation

    advance(TTL_MS - 1);
    expect((await service.getUser(2n, admin)).name, "within ttlMs the cached copy is served").toBe("Alice");

    advance(1);
    expect((await service.getUser(2n, admin)).name, "after ttlMs the user must be read again").toBe("Alice Renamed");
  });
});

describe("listUsers", () => {
  it("returns a page of users ordered by id, with the cursor for the next page", async () => {
    const { service } = setup();

    expect(await service.listUsers({ limit: 2 })).toMatchObject({ users: [{ id: 1n }, { id: 2n }], nextCursor: 2n });
  });

  it("continues after the cursor", async () => {
    const { service } = setup();

    expect(await service.listUsers({ limit: 2, cursor: 2n })).toMatchObject({ users: [{ id: 3n }], nextCursor: null });
  });

  it("serves a repeated page from the cache without asking the repository again", async () => {
    const { service, users } = setup();
    const list = vi.spyOn(users, "list");

    const first = await service.listUsers({ limit: 2 });
    const second = await service.listUsers({ limit: 2 });

    expect(second).toEqual(first);
    expect(list, "the repeated page must come from the cache").toHaveBeenCalledTimes(1);
  });

  it.each([
    ["a cursor", { limit: 1 }, { limit: 1, cursor: 1n }, ["Alice"]],
    ["another cursor", { limit: 1, cursor: 1n }, { limit: 1, cursor: 2n }, ["Bob"]],
    ["another limit", { limit: 1 }, { limit: 2 }, ["Ada", "Alice"]],
  ])("caches each page apart: %s makes a different page", async (_, first, second, expected) => {
    const { service } = setup();
    await service.listUsers(first);

    expect(names(await service.listUsers(second))).toEqual(expected);
  });

  it("caches pages under the users: prefix", async () => {
    const { service, cache } = setup();
    await service.listUsers({ limit: 2 });

    cache.invalidatePrefix(USERS_CACHE_PREFIX);

    expect(cache.size, "every page key must start with USERS_CACHE_PREFIX").toBe(0);
  });

  it("reads a page again once ttlMs has passed", async () => {
    const { service, users, advance } = setup();
    await service.listUsers({ limit: 10 });
    await users.create({ name: "Carol", email: "carol@example.com", role: "user" }); // behind the service's back

    advance(TTL_MS);

    expect(names(await service.listUsers({ limit: 10 }))).toEqual(["Ada", "Alice", "Bob", "Carol"]);
  });
});

describe("updateUser", () => {
  it("lets an admin change any field of another user", async () => {
    const { service, users } = setup();

    const user = await service.updateUser(3n, { name: "Robert", email: "robert@example.com", role: "admin" }, admin);

    expect(user).toMatchObject({ id: 3n, name: "Robert", email: "robert@example.com", role: "admin" });
    expect(await users.findById(3n)).toMatchObject({ name: "Robert", role: "admin" });
  });

  it("lets a user change their own name and email", async () => {
    const { service } = setup();

    expect(await service.updateUser(2n, { name: "Alicia", email: "alicia@example.com" }, alice)).toMatchObject({
      name: "Alicia",
      email: "alicia@example.com",
      role: "user",
    });
  });

  it("answers 403 FORBIDDEN when a user changes someone else, and changes nothing", async () => {
    const { service, users } = setup();

    expectError(
      await apiErrorOf(service.updateUser(3n, { name: "Hacked" }, alice)),
      403,
      "FORBIDDEN",
      "Insufficient permissions",
    );
    expect(await users.findById(3n)).toMatchObject({ name: "Bob" });
  });

  it.each(["admin", "user"] as const)("answers 403 when a user sends role %j, even for themselves", async (role) => {
    const { service, users } = setup();

    const error = await apiErrorOf(service.updateUser(2n, { name: "Alicia", role }, alice));

    expectError(error, 403, "FORBIDDEN", "Only admins can change roles");
    expect(await users.findById(2n)).toMatchObject({ name: "Alice", role: "user" });
  });

  it("lets an admin change their own role while another admin remains", async () => {
    const { service, users } = setup();
    await users.update(3n, { role: "admin" });

    expect(await service.updateUser(1n, { role: "user" }, admin)).toMatchObject({ id: 1n, role: "user" });
  });

  it("answers 409 EMAIL_EXISTS when the email belongs to another user, and changes nothing", async () => {
    const { service, users } = setup();

    expectError(
      await apiErrorOf(service.updateUser(2n, { email: "bob@example.com" }, alice)),
      409,
      "EMAIL_EXISTS",
      "Email already exists",
    );
    expect(await users.findById(2n)).toMatchObject({ email: "alice@example.com" });
  });

  it("checks the email before writing, so a taken email never reaches users.update", async () => {
    const { service, users } = setup();
    const update = vi.spyOn(users, "update");

    expect((await apiErrorOf(service.updateUser(2n, { email: "bob@example.com" }, alice))).code).toBe("EMAIL_EXISTS");
    expect(update, "check the email with findByEmail before calling update").not.toHaveBeenCalled();
  });

  it("passes on the repository's 409 when another request takes the email first", async () => {
    const { service, users } = setup();
    vi.spyOn(users, "findByEmail").mockResolvedValue(null); // the other request commits after our check

    expectError(
      await apiErrorOf(service.updateUser(2n, { email: "bob@example.com" }, alice)),
      409,
      "EMAIL_EXISTS",
      "Email already exists",
    );
  });

  it("accepts the user's own current email", async () => {
    const { service } = setup();

    expect(await service.updateUser(2n, { name: "Alicia", email: "alice@example.com" }, alice)).toMatchObject({
      name: "Alicia",
    });
  });

  it("answers 404 NOT_FOUND for an id nobody has", async () => {
    const { service } = setup();

    expectError(
      await apiErrorOf(service.updateUser(MISSING, { name: "Ghost" }, admin)),
      404,
      "NOT_FOUND",
      "User not found",
    );
  });

  it("answers 409 CONFLICT when it would demote the last admin", async () => {
    const { service, users } = setup();

    const error = await apiErrorOf(service.updateUser(1n, { role: "user" }, admin));

    expectError(error, 409, "CONFLICT", "The last admin cannot be removed or demoted");
    expect(await users.findById(1n)).toMatchObject({ role: "admin" });
  });
});

describe("deleteUser", () => {
  it("deletes the user", async () => {
    const { service, users } = setup();

    expect(await service.deleteUser(3n)).toBeUndefined();
    expect(await users.findById(3n)).toBeNull();
  });

  it("answers 404 NOT_FOUND for an id nobody has", async () => {
    const { service } = setup();

    expectError(await apiErrorOf(service.deleteUser(MISSING)), 404, "NOT_FOUND", "User not found");
  });

  it("answers 409 CONFLICT for the last admin, who stays", async () => {
    const { service, users } = setup();

    expectError(
      await apiErrorOf(service.deleteUser(1n)),
      409,
      "CONFLICT",
      "The last admin cannot be removed or demoted",
    );
    expect(await users.findById(1n)).not.toBeNull();
  });
});

describe("cache invalidation on writes", () => {
  it("shows a user's update on the next read instead of the cached copy", async () => {
    const { service } = setup();
    await service.getUser(2n, alice);

    await service.updateUser(2n, { name: "Alicia" }, alice);

    expect((await service.getUser(2n, alice)).name).toBe("Alicia");
  });

  it("answers 404 for a deleted user who was cached", async () => {
    const { service } = setup();
    await service.getUser(3n, admin);

    await service.deleteUser(3n);

    expect((await apiErrorOf(service.getUser(3n, admin))).statusCode).toBe(404);
  });

  it.each([
    [
      "createUser",
      (s: Service) => s.createUser({ name: "Carol", email: "carol@example.com", role: "user" }),
      ["Ada", "Alice", "Bob", "Carol"],
    ],
    ["updateUser", (s: Service) => s.updateUser(3n, { name: "Robert" }, admin), ["Ada", "Alice", "Robert"]],
    ["deleteUser", (s: Service) => s.deleteUser(3n), ["Ada", "Alice"]],
  ])("shows the change in cached list pages after %s", async (_, write, expected) => {
    const { service } = setup();
    await service.listUsers({ limit: 10 });

    await write(service);

    expect(names(await service.listUsers({ limit: 10 }))).toEqual(expected);
  });

  // Another request lists the users while the write is in flight, which caches the list as it
  // was. Dropping the cache before the write leaves that old list cached; after it, it is gone.
  it.each([
    [
      "createUser",
      (s: Service) => s.createUser({ name: "Carol", email: "carol@example.com", role: "user" }),
      ["Ada", "Alice", "Bob", "Carol"],
    ],
    ["updateUser", (s: Service) => s.updateUser(3n, { name: "Robert" }, admin), ["Ada", "Alice", "Robert"]],
    ["deleteUser", (s: Service) => s.deleteUser(3n), ["Ada", "Alice"]],
  ])(
    "drops the cache after %s has written, so a read made during the write cannot keep the old data",
    async (_, write, expected) => {
      const { users, cache } = setup();
      const service: Service = createUserService({
        users: readingDuringWrites(users, () => service.listUsers({ limit: 10 })),
        cache,
        ttlMs: TTL_MS,
      });

      await write(service);

      expect(names(await service.listUsers({ limit: 10 })), "the list read after the write").toEqual(expected);
    },
  );

  it.each([
    ["createUser", (s: Service) => s.createUser({ name: "Carol", email: "carol@example.com", role: "user" })],
    ["updateUser", (s: Service) => s.updateUser(2n, { name: "Alicia" }, alice)],
    ["deleteUser", (s: Service) => s.deleteUser(3n)],
  ])("drops every users: key after %s, and only those", async (_, write) => {
    const { service, cache } = setup();
    cache.set(`${USERS_CACHE_PREFIX}anything`, "stale", TTL_MS);
    cache.set("posts:1", "unrelated", TTL_MS);

    await write(service);

    expect(cache.get(`${USERS_CACHE_PREFIX}anything`), "a write must invalidate the whole users: prefix").toBeNull();
    expect(cache.get("posts:1"), "keys outside users: must survive").toBe("unrelated");
  });
});
