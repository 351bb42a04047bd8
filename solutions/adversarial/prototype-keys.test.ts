import { beforeAll, describe, expect, it } from "vitest";
import { GET as listUsers, POST as createUser } from "@/app/api/users/route";
import { PATCH as updateUser } from "@/app/api/users/[id]/route";
import { prisma } from "@/lib/prisma";
import { createUser as insertUser, json, params, request, tokenFor } from "@/testing/fixtures";

// Field names that are also members of Object.prototype. The error envelope names an unknown
// field back to the client, so these reach the code that builds it as keys.
const PROTOTYPE_KEYS = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "__defineGetter__"];

let token: string;
let adminId: bigint;

beforeAll(async () => {
  const admin = await insertUser({ email: "admin@example.com", role: "admin" });
  adminId = admin.id;
  token = await tokenFor(admin);
});

describe("fields named like Object.prototype members", () => {
  it.each(PROTOTYPE_KEYS)("POST /api/users answers 400 naming the unknown field %s", async (key) => {
    const rawBody = `{"name":"Eve","email":"eve@example.com",${JSON.stringify(key)}:{"role":"admin"}}`;
    const response = await createUser(request("POST", "/api/users", { token, rawBody }), params({}));

    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.error?.code).toBe("VALIDATION_ERROR");
    expect(Object.getOwnPropertyNames(body.error?.details ?? {})).toEqual([key]);
    expect(await prisma.user.count()).toBe(1);
  });

  it.each(PROTOTYPE_KEYS)("PATCH /api/users/[id] answers 400 naming the unknown field %s", async (key) => {
    const rawBody = `{${JSON.stringify(key)}:"x","name":"Still Admin"}`;
    const response = await updateUser(
      request("PATCH", `/api/users/${adminId}`, { token, rawBody }),
      params({ id: String(adminId) }),
    );

    expect(response.status).toBe(400);
    expect(Object.getOwnPropertyNames((await json(response)).error?.details ?? {})).toEqual([key]);
    expect((await prisma.user.findUniqueOrThrow({ where: { id: adminId } })).name).toBe("admin");
  });

  it.each(PROTOTYPE_KEYS)("GET /api/users answers 400 naming the unknown query parameter %s", async (key) => {
    const response = await listUsers(request("GET", `/api/users?${encodeURIComponent(key)}=1`, { token }), params({}));

    expect(response.status).toBe(400);
    expect(Object.getOwnPropertyNames((await json(response)).error?.details ?? {})).toEqual([key]);
  });
});
