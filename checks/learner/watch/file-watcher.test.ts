import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type FileWatcher, isWslWindowsDrive, watchFiles } from "./file-watcher.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function tempFile(name = "stub.ts"): string {
  const dir = mkdtempSync(path.join(tmpdir(), "workbook-watch-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, name);
  writeFileSync(file, "before\n");
  return file;
}

function watchUntilChange(files: string[], poll: boolean): { watcher: FileWatcher; changed: Promise<string> } {
  let watcher!: FileWatcher;
  const changed = new Promise<string>((resolve) => {
    watcher = watchFiles(files, resolve, { poll, intervalMs: 20 });
  });
  cleanups.push(() => watcher.close());
  return { watcher, changed };
}

describe("watchFiles", () => {
  it.each([
    ["file events", false, "events"],
    ["polling", true, "poll"],
  ])("hears a save through %s", async (_case, poll, mode) => {
    const file = tempFile();
    const { watcher, changed } = watchUntilChange([file], poll);
    expect(watcher.mode).toBe(mode);
    writeFileSync(file, "after, and longer\n");
    await expect(changed).resolves.toBe(file);
  });

  it("polling hears every save, the first one made before its first reading included", async () => {
    const file = tempFile();
    const heard: string[] = [];
    let second!: () => void;
    const twice = new Promise<void>((resolve) => (second = resolve));
    const watcher = watchFiles([file], (changed) => heard.push(changed) === 2 && second(), {
      poll: true,
      intervalMs: 20,
    });
    cleanups.push(() => watcher.close());
    writeFileSync(file, "first save\n");
    await expect.poll(() => heard.length, { timeout: 10_000 }).toBe(1);
    writeFileSync(file, "second save, longer\n");
    await twice;
    expect(heard).toEqual([file, file]);
  });

  it("hears a save that replaces the file by renaming a new one over it", async () => {
    const file = tempFile();
    const { changed } = watchUntilChange([file], false);
    writeFileSync(`${file}.tmp`, "saved atomically\n");
    renameSync(`${file}.tmp`, file);
    await expect(changed).resolves.toBe(file);
  });

  it("falls back to polling, and says so, when file events cannot start", () => {
    const missingFolder = path.join(tmpdir(), `workbook-missing-${process.pid}`, "stub.ts");
    const reasons: string[] = [];
    const watcher = watchFiles([missingFolder], () => {}, {
      poll: false,
      intervalMs: 20,
      onFallback: (reason) => reasons.push(reason),
    });
    cleanups.push(() => watcher.close());
    expect(watcher.mode).toBe("poll");
    expect(reasons).toHaveLength(1);
  });
});

describe("isWslWindowsDrive", () => {
  it.each([
    ["/mnt/c/Users/ada/workbook/lessons", "linux", "5.15.153.1-microsoft-standard-WSL2", true],
    ["/home/ada/workbook/lessons", "linux", "5.15.153.1-microsoft-standard-WSL2", false],
    ["/mnt/c/Users/ada/workbook/lessons", "linux", "6.8.0-45-generic", false],
    ["/mnt/c/Users/ada/workbook/lessons", "darwin", "23.1.0", false],
  ])("%s on %s %s: %s", (file, platform, osRelease, expected) => {
    expect(isWslWindowsDrive(file, platform as NodeJS.Platform, osRelease)).toBe(expected);
  });
});
