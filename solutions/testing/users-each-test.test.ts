import { describe, expect, it } from "vitest";
import { prisma } from "@/lib/prisma";
import { userService } from "@/services/user-service";
import { changeRole, insertUser } from "./fixtures";
import { startEachTestFrom } from "./users-each-test";

// The tests below run in order: the first changes what the second must not see.

let ada: Awaited<ReturnType<typeof insertUser>>;
let made = 0;

startEachTestFrom(async () => {
  made += 1;
  ada = await insertUser({ name: "Ada", email: "ada@example.com", role: "admin" });
});

const asAda = () => ({ id: ada.id, email: ada.email, role: "admin" as const });

describe("startEachTestFrom", () => {
  it("lets a test change the table and fill the users cache", async () => {
    await insertUser({ email: "grace@example.com" });
    await changeRole(ada.id, "user");
    expect((await userService.getUser(ada.id, asAda())).role, "read through the cache").toBe("user");
  });

  it("starts the next test from the same rows, ids included, with the users cache emptied", async () => {
    expect(await prisma.user.findMany()).toEqual([ada]);
    expect((await userService.getUser(ada.id, asAda())).role, "not the cached role of the test before").toBe("admin");
    expect(made, "the users are made once per file").toBe(1);
  });
});
