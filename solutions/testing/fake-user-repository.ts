import { apiError } from "@/lib/errors";
import type { GuardedResult, User, UserPage, UserRepository } from "@/repositories/user-repository";
import type { CreateUserInput, Role, UpdateUserInput } from "@/schemas/user";

// An in-memory UserRepository for testing the code above the repository (services, auth, route
// logic) without a database. It keeps the real repository's contract, proved by
// fake-user-repository.test.ts running the same cases against both: unique emails answered with
// EMAIL_EXISTS, BigInt ids that are never reused, keyset paging by id, and the last-admin guard.
// Every method hands out copies, as a database does, so a caller cannot edit the store by
// mutating a result.

export type FakeUserSeed = { id?: bigint; name?: string; email: string; role?: Role };

export type FakeUserRepository = UserRepository & {
  /** A copy of every stored user, ordered by id. */
  all(): User[];
};

const copy = (user: User): User => ({
  ...user,
  createdAt: new Date(user.createdAt),
  updatedAt: new Date(user.updatedAt),
});

export function createFakeUserRepository(seed: readonly FakeUserSeed[] = []): FakeUserRepository {
  const rows = new Map<bigint, User>();
  // Like SQLite's AUTOINCREMENT: the next id is past every id ever used, even deleted ones.
  let lastId = 0n;

  const byEmail = (email: string) => [...rows.values()].find((user) => user.email === email);
  const ordered = () => [...rows.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const adminCount = () => [...rows.values()].filter((user) => user.role === "admin").length;

  function insert(data: { id?: bigint; name: string; email: string; role: string }): User {
    if (byEmail(data.email)) throw apiError("EMAIL_EXISTS", "Email already exists");
    const id = data.id ?? lastId + 1n;
    if (rows.has(id)) throw new Error(`Fake user repository: id ${id} is already taken`);
    if (id > lastId) lastId = id;
    const now = new Date();
    const user: User = { id, name: data.name, email: data.email, role: data.role, createdAt: now, updatedAt: now };
    rows.set(id, user);
    return user;
  }

  // The real repository runs these checks and the change in one transaction; here one
  // synchronous block is just as atomic, since no other call can run in between.
  function guarded(id: bigint, change: (user: User) => User | null): GuardedResult {
    const before = rows.get(id);
    if (!before) return { ok: false, reason: "not_found" };
    const after = change(before);
    const removesAdmin = before.role === "admin" && after?.role !== "admin";
    if (removesAdmin && adminCount() === 1) return { ok: false, reason: "last_admin" };
    if (after) rows.set(id, after);
    else rows.delete(id);
    return { ok: true, user: copy(after ?? before) };
  }

  for (const user of seed) {
    insert({ id: user.id, name: user.name ?? user.email.split("@")[0]!, email: user.email, role: user.role ?? "user" });
  }

  return {
    async findById(id: bigint): Promise<User | null> {
      const user = rows.get(id);
      return user ? copy(user) : null;
    },

    async findByEmail(email: string): Promise<User | null> {
      const user = byEmail(email);
      return user ? copy(user) : null;
    },

    async list({ limit, cursor }: { limit: number; cursor?: bigint }): Promise<UserPage> {
      const after = ordered().filter((user) => cursor === undefined || user.id > cursor);
      const users = after.slice(0, limit).map(copy);
      return { users, nextCursor: after.length > limit ? users[users.length - 1]!.id : null };
    },

    async create(data: CreateUserInput): Promise<User> {
      return copy(insert({ name: data.name, email: data.email, role: data.role }));
    },

    async update(id: bigint, data: UpdateUserInput): Promise<GuardedResult> {
      return guarded(id, (user) => {
        const owner = data.email === undefined ? undefined : byEmail(data.email);
        if (owner && owner.id !== id) throw apiError("EMAIL_EXISTS", "Email already exists");
        // Prisma leaves a field alone when its value is undefined; so do these defaults.
        const { name = user.name, email = user.email, role = user.role } = data;
        return { ...user, name, email, role, updatedAt: new Date() };
      });
    },

    async delete(id: bigint): Promise<GuardedResult> {
      return guarded(id, () => null);
    },

    all(): User[] {
      return ordered().map(copy);
    },
  };
}
