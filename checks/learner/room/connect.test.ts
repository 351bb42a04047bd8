import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { connectRoom } from "./connect.ts";
import { readMembership, saveMembership } from "./settings.ts";
import { type TestRoom, startTestRoom, statusFor } from "../../trainer/room/test-room.ts";

let room: TestRoom | undefined;
let root: string;
afterEach(async () => {
  await room?.remove();
  room = undefined;
  rmSync(root, { recursive: true, force: true });
});

describe("connectRoom", () => {
  it("is undefined outside a room", async () => {
    root = mkdtempSync(path.join(tmpdir(), "workbook-connect-"));
    expect(await connectRoom({ root, env: {} })).toBeUndefined();
  });

  it("joins, then reports every verdict to the learner's row", async () => {
    root = mkdtempSync(path.join(tmpdir(), "workbook-connect-"));
    room = await startTestRoom();
    const report = await connectRoom({ root, env: {}, room: room.joinUrl, name: "Ana" });
    report!(statusFor({ lesson: "lesson-3", passing: 2, total: 7 }));
    await report!.flush();
    const { id } = readMembership(root)!;
    expect(room.store.get(id)?.lessons["lesson-3"]).toMatchObject({ passing: 2, total: 7 });
  });

  it("forgets the room once the trainer removed the learner, so that later commands do not report", async () => {
    root = mkdtempSync(path.join(tmpdir(), "workbook-connect-"));
    room = await startTestRoom();
    const report = await connectRoom({ root, env: {}, room: room.joinUrl, name: "Ana" });
    room.store.remove(readMembership(root)!.id);
    report!(statusFor());
    await report!.flush();
    expect(readMembership(root)).toBeUndefined();
    expect(await connectRoom({ root, env: {} })).toBeUndefined();
    // Joining again is the learner's own choice, with the join link.
    expect(await connectRoom({ root, env: {}, room: room.joinUrl, name: "Ana" })).toBeDefined();
    expect(room.store.size).toBe(1);
  });

  it("remembers the new membership when the room took the learner back under a new id", async () => {
    root = mkdtempSync(path.join(tmpdir(), "workbook-connect-"));
    room = await startTestRoom();
    saveMembership(root, { joinUrl: room.joinUrl, id: "forgotten", secret: "old", name: "Ana" });
    const report = await connectRoom({ root, env: {} });
    report!(statusFor());
    await report!.flush(5000);
    const remembered = readMembership(root)!;
    expect(remembered.id).not.toBe("forgotten");
    expect(room.store.get(remembered.id)?.name).toBe("Ana");
  });
});
