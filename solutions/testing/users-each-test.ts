import { afterAll, beforeAll, beforeEach } from "vitest";
import { forgetCachedUsers } from "@/services/user-service";
import { resetUsers } from "./fixtures";
import { openRawUsers, type RawUsers } from "./raw-users";

/**
 * The users every test of a file starts from, made once by `create` (with their tokens): before
 * each test the table is put back to exactly those rows, ids included, and the users cache is
 * emptied, as a write through the service would. Creating them and signing their tokens again
 * for every test cost each test a few milliseconds: a third of a second for a file of 60 tests,
 * on every save of a lesson.
 */
export function startEachTestFrom(create: () => Promise<void>): void {
  let raw: RawUsers | undefined;
  let start = "";
  beforeAll(async () => {
    await resetUsers();
    await create();
    raw = await openRawUsers();
    start = await raw.snapshot();
  });
  beforeEach(async () => {
    await raw?.restore(start);
    await forgetCachedUsers();
  });
  afterAll(async () => {
    await raw?.close();
    raw = undefined;
  });
}
