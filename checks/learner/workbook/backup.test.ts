import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { backupStamp, createBackup, replaceWithBackup } from "./backup.ts";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function tempRoot(files: Record<string, string> = {}): string {
  const root = mkdtempSync(path.join(tmpdir(), "workbook-backup-"));
  roots.push(root);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  return root;
}

const now = new Date("2026-11-26T15:49:03.123Z");
const stub = "lessons/lesson-7-cache/cache.ts";

describe("replaceWithBackup", () => {
  it("copies the learner's file into the backup before overwriting it", () => {
    const root = tempRoot({ [stub]: "my work" });
    const report = replaceWithBackup(root, "lesson-7", now, [{ file: stub, content: Buffer.from("stub") }]);
    expect(report).toEqual({
      backedUp: [{ file: stub, to: ".workbook/backups/lesson-7/2026-11-26T15-49-03-123Z/cache.ts" }],
      written: [stub],
    });
    expect(readFileSync(path.join(root, report.backedUp[0]!.to), "utf8")).toBe("my work");
    expect(readFileSync(path.join(root, stub), "utf8")).toBe("stub");
  });

  it("writes a missing file without a backup", () => {
    const root = tempRoot();
    expect(replaceWithBackup(root, "lesson-7", now, [{ file: stub, content: Buffer.from("stub") }])).toEqual({
      backedUp: [],
      written: [stub],
    });
    expect(existsSync(path.join(root, ".workbook"))).toBe(false);
  });

  it("leaves a file that already has the content alone, without a backup", () => {
    const root = tempRoot({ [stub]: "stub" });
    expect(replaceWithBackup(root, "lesson-7", now, [{ file: stub, content: Buffer.from("stub") }])).toEqual({
      backedUp: [],
      written: [],
    });
    expect(existsSync(path.join(root, ".workbook"))).toBe(false);
  });

  it("never reuses a backup folder, even within the same millisecond", () => {
    const root = tempRoot();
    const first = createBackup(root, "lesson-7", now);
    const second = createBackup(root, "lesson-7", now);
    expect(second.dir).not.toBe(first.dir);
    first.save("cache.ts", Buffer.from("one"));
    second.save("cache.ts", Buffer.from("two"));
    expect(readdirSync(path.join(root, ".workbook/backups/lesson-7")).sort()).toEqual([
      backupStamp(now),
      `${backupStamp(now)}-2`,
    ]);
  });
});
