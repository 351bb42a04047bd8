import { beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/prisma";
import { changeRole, createUser, deleteUser, insertUser, insertUsers, resetUsers } from "./fixtures";

beforeEach(async () => {
  await resetUsers();
});

describe("users written straight into the table", () => {
  it("are the rows Prisma reads back, ids, defaults and timestamps included", async () => {
    const inserted = await insertUsers([
      { name: "Ada", email: "ada@example.com", role: "admin" },
      { email: "grace@example.com" },
    ]);

    expect(await prisma.user.findMany({ orderBy: { id: "asc" } })).toEqual(inserted);
    expect(inserted[1]).toMatchObject({ name: "grace", role: "user" });
    expect(typeof inserted[0]!.id).toBe("bigint");
  });

  it("write none of a batch when one email is taken", async () => {
    await insertUser({ email: "ada@example.com" });

    await expect(insertUsers([{ email: "new@example.com" }, { email: "ada@example.com" }])).rejects.toThrow(
      /UNIQUE constraint failed/,
    );
    expect(await prisma.user.count()).toBe(1);
  });

  it("are deleted and have their role changed as Prisma sees it", async () => {
    const ada = await insertUser({ email: "ada@example.com", role: "admin" });
    const grace = await insertUser({ email: "grace@example.com" });

    await changeRole(ada.id, "user");
    await deleteUser(grace.id);

    expect(await prisma.user.findMany()).toEqual([{ ...ada, role: "user" }]);
  });

  it.each([
    ["deleting", (id: bigint) => deleteUser(id)],
    ["changing the role of", (id: bigint) => changeRole(id, "admin")],
  ])("say so when %s a user that does not exist", async (_, change) => {
    await expect(change(404n)).rejects.toThrow("No user with id 404");
  });
});

it("createUser goes through Prisma: a taken email is Prisma's P2002", async () => {
  await createUser({ email: "ada@example.com" });

  await expect(createUser({ email: "ada@example.com" })).rejects.toMatchObject({ code: "P2002" });
});
