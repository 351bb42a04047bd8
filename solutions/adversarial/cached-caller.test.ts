import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { GET as listUsers } from "@/app/api/users/route";
import { DELETE as deleteUser, GET as getUser, PATCH as updateUser } from "@/app/api/users/[id]/route";
import { userRepository } from "@/repositories/user-repository";
import { createUser, params, request, resetUsers, tokenFor } from "@/testing/fixtures";

// Authentication reads the caller through the users cache, so a token's owner is usually not
// read from the database at all. These tests prove that this cache cannot keep a deleted or
// demoted user's access alive: the writes that remove or demote them go through the same service,
// which drops the cached copy before the next request arrives.

let adminToken: string;

beforeEach(async () => {
  await resetUsers();
  adminToken = await tokenFor(await createUser({ email: "admin@example.com", role: "admin" }));
});

afterEach(() => {
  vi.restoreAllMocks();
});

const readUser = (id: bigint, token: string) =>
  getUser(request("GET", `/api/users/${id}`, { token }), params({ id: String(id) }));

describe("a caller served from the users cache", () => {
  it("is read from the repository once, then from the cache", async () => {
    const bob = await createUser({ email: "bob@example.com" });
    const token = await tokenFor(bob);
    const findById = vi.spyOn(userRepository, "findById");

    expect((await readUser(bob.id, token)).status).toBe(200);
    expect((await readUser(bob.id, token)).status).toBe(200);

    expect(findById, "the second request must find the caller in the cache").toHaveBeenCalledTimes(1);
  });

  it("gets 401 on the very next request once an admin has deleted them", async () => {
    const bob = await createUser({ email: "bob@example.com" });
    const token = await tokenFor(bob);
    expect((await readUser(bob.id, token)).status, "the first request caches bob").toBe(200);

    const deleted = await deleteUser(
      request("DELETE", `/api/users/${bob.id}`, { token: adminToken }),
      params({ id: String(bob.id) }),
    );
    expect(deleted.status).toBe(204);

    expect((await readUser(bob.id, token)).status).toBe(401);
  });

  it("gets 403 on an admin route on the very next request once demoted", async () => {
    const second = await createUser({ email: "second-admin@example.com", role: "admin" });
    const token = await tokenFor(second);
    const list = () => listUsers(request("GET", "/api/users", { token }), params({}));
    expect((await list()).status, "the first request caches the second admin").toBe(200);

    const demoted = await updateUser(
      request("PATCH", `/api/users/${second.id}`, { token: adminToken, body: { role: "user" } }),
      params({ id: String(second.id) }),
    );
    expect(demoted.status).toBe(200);

    expect((await list()).status).toBe(403);
  });

  it("is refused after demoting themselves, with the token they demoted themselves with", async () => {
    const second = await createUser({ email: "second-admin@example.com", role: "admin" });
    const token = await tokenFor(second);
    const list = () => listUsers(request("GET", "/api/users", { token }), params({}));
    expect((await list()).status).toBe(200);

    const demoted = await updateUser(
      request("PATCH", `/api/users/${second.id}`, { token, body: { role: "user" } }),
      params({ id: String(second.id) }),
    );
    expect(demoted.status).toBe(200);

    expect((await list()).status).toBe(403);
  });
});
