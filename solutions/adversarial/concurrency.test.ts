import { beforeEach, describe, expect, it } from "vitest";
import { POST } from "@/app/api/users/route";
import { PATCH } from "@/app/api/users/[id]/route";
import { prisma } from "@/lib/prisma";
import { createUser, json, params, request, resetUsers, tokenFor } from "@/testing/fixtures";

// Many requests at once against the route handlers and one real SQLite database: the unique
// email and the last-admin rule must hold however the requests interleave, and a race must
// end in a 409, never a 500.

let admin: { id: bigint };
let adminToken: string;

beforeEach(async () => {
  await resetUsers();
  admin = await createUser({ name: "Ada", email: "admin@example.com", role: "admin" });
  adminToken = await tokenFor(admin);
});

const create = (token: string, body: unknown) => POST(request("POST", "/api/users", { token, body }), params({}));
const patch = (token: string, id: bigint, body: unknown) =>
  PATCH(request("PATCH", `/api/users/${id}`, { token, body }), params({ id: String(id) }));

function tally(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

describe("100 concurrent creates with the same email", () => {
  it("answer exactly one 201 and 99 409s, and leave one row", async () => {
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) => create(adminToken, { name: `Twin ${i}`, email: "twin@example.com" })),
    );

    expect(tally(responses.map((r) => r.status))).toEqual({ 201: 1, 409: 99 });
    const conflicts = await Promise.all(responses.filter((r) => r.status === 409).map(json));
    expect(new Set(conflicts.map((body) => body.error?.code))).toEqual(new Set(["EMAIL_EXISTS"]));
    expect(await prisma.user.count({ where: { email: "twin@example.com" } })).toBe(1);
  });
});

describe("concurrent PATCHes racing to the same email", () => {
  it("let at most one admin PATCH win; the rest answer 409, none 500", async () => {
    const racers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => createUser({ email: `racer${i}@example.com` })),
    );

    const responses = await Promise.all(
      racers.map((racer) => patch(adminToken, racer.id, { email: "prize@example.com" })),
    );

    expect(tally(responses.map((r) => r.status))).toEqual({ 200: 1, 409: 49 });
    expect(await prisma.user.count({ where: { email: "prize@example.com" } })).toBe(1);
  });

  it("let at most one user win when each changes their own email", async () => {
    const racers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => createUser({ email: `self${i}@example.com` })),
    );
    const tokens = await Promise.all(racers.map((racer) => tokenFor(racer)));

    const responses = await Promise.all(
      racers.map((racer, i) => patch(tokens[i]!, racer.id, { email: "prize@example.com" })),
    );

    expect(tally(responses.map((r) => r.status))).toEqual({ 200: 1, 409: 49 });
    expect(await prisma.user.count({ where: { email: "prize@example.com" } })).toBe(1);
  });

  it("let at most one win when the prize is an email being created at the same moment", async () => {
    const racers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => createUser({ email: `mixed${i}@example.com` })),
    );

    const responses = await Promise.all([
      ...racers.map((racer) => patch(adminToken, racer.id, { email: "prize@example.com" })),
      ...Array.from({ length: 20 }, () => create(adminToken, { name: "Newcomer", email: "prize@example.com" })),
    ]);

    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200 || s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(39);
    expect(await prisma.user.count({ where: { email: "prize@example.com" } })).toBe(1);
  });
});

describe("writes racing the last-admin rule", () => {
  it("keep every user created during a refused demotion of the last admin", async () => {
    const responses = await Promise.all([
      patch(adminToken, admin.id, { role: "user" }),
      ...Array.from({ length: 30 }, (_, i) => create(adminToken, { name: "Newcomer", email: `new${i}@example.com` })),
      patch(adminToken, admin.id, { role: "user" }),
    ]);

    expect(tally(responses.map((r) => r.status))).toEqual({ 201: 30, 409: 2 });
    const created = await Promise.all(responses.filter((r) => r.status === 201).map(json));
    const rows = await prisma.user.findMany({ where: { id: { in: created.map((body) => BigInt(body.user!.id)) } } });
    expect(rows).toHaveLength(30);
    expect(await prisma.user.count({ where: { role: "admin" } })).toBe(1);
  });

  it("let only one of two admins demoting each other through the API succeed", async () => {
    const second = await createUser({ email: "second@example.com", role: "admin" });
    const secondToken = await tokenFor(second);

    const responses = await Promise.all([
      patch(adminToken, second.id, { role: "user" }),
      patch(secondToken, admin.id, { role: "user" }),
    ]);

    const statuses = responses.map((r) => r.status).sort();
    expect([
      [200, 409],
      [200, 403],
    ]).toContainEqual(statuses);
    expect(await prisma.user.count({ where: { role: "admin" } })).toBe(1);
  });
});
