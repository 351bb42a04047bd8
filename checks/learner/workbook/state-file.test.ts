import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { emptyState, readState, stateFile, writeState } from "./state-file.ts";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function tempRoot(): string {
  const root = mkdtempSync(path.join(tmpdir(), "workbook-state-"));
  roots.push(root);
  return root;
}

function writeRaw(root: string, content: string): void {
  mkdirSync(path.join(root, ".workbook"), { recursive: true });
  writeFileSync(path.join(root, stateFile), content);
}

describe("readState", () => {
  it("starts empty, without a warning, when there is no state file", () => {
    const warnings: string[] = [];
    expect(readState(tempRoot(), (line) => warnings.push(line))).toEqual(emptyState());
    expect(warnings).toEqual([]);
  });

  it.each([
    ["not JSON", "{ broken"],
    ["the wrong shape", JSON.stringify({ version: 1, lessons: { "lesson-1": { hintsUsed: -4 } } })],
    ["an unknown version", JSON.stringify({ version: 7, lessons: {} })],
  ])("recovers from a state file that is %s with one warning, keeping the bad file aside", (_case, content) => {
    const root = tempRoot();
    writeRaw(root, content);
    const warnings: string[] = [];
    expect(readState(root, (line) => warnings.push(line))).toEqual(emptyState());
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/state\.json was unreadable.*your lesson files are untouched/);
    expect(readFileSync(path.join(root, `${stateFile}.corrupt`), "utf8")).toBe(content);
  });

  it("fills in defaults for fields an older state file lacks", () => {
    const root = tempRoot();
    writeRaw(root, JSON.stringify({ version: 1, lessons: { "lesson-1": { passed: true } } }));
    expect(readState(root, () => {}).lessons["lesson-1"]).toEqual({
      passed: true,
      testsPassing: 0,
      testsTotal: 0,
      testsCounted: false,
      hintsUsed: 0,
      solved: false,
    });
  });
});

describe("writeState", () => {
  it("writes a state that reads back, leaving no temporary file", () => {
    const root = tempRoot();
    const state = { ...emptyState(), current: "lesson-2" };
    writeState(root, state);
    expect(readState(root, () => {})).toEqual(state);
    expect(readdirSync(path.join(root, ".workbook"))).toEqual(["state.json"]);
  });

  it("survives deleting .workbook: the next read starts afresh", () => {
    const root = tempRoot();
    writeState(root, { version: 1, current: "lesson-2", lessons: {} });
    rmSync(path.join(root, ".workbook"), { recursive: true });
    expect(existsSync(path.join(root, stateFile))).toBe(false);
    expect(readState(root, () => {})).toEqual(emptyState());
  });
});

describe("a damaged .workbook folder", () => {
  it("moves aside a .workbook that is a file, keeping it, and saves progress in a new folder", () => {
    const root = tempRoot();
    writeFileSync(path.join(root, ".workbook"), "not a folder");
    const warnings: string[] = [];
    expect(readState(root, (line) => warnings.push(line))).toEqual(emptyState());
    writeState(root, { ...emptyState(), current: "lesson-2" }, (line) => warnings.push(line));
    expect(readState(root, () => {}).current).toBe("lesson-2");
    expect(readFileSync(path.join(root, ".workbook.corrupt"), "utf8")).toBe("not a folder");
    expect(warnings).toEqual([
      ".workbook was a file, not a folder: kept as .workbook.corrupt, and progress starts afresh.",
    ]);
  });

  it("keeps a state.json that is a folder aside, and writes a fresh state", () => {
    const root = tempRoot();
    mkdirSync(path.join(root, stateFile, "inside"), { recursive: true });
    const warnings: string[] = [];
    expect(readState(root, (line) => warnings.push(line))).toEqual(emptyState());
    writeState(root, { ...emptyState(), current: "lesson-3" });
    expect(readState(root, () => {}).current).toBe("lesson-3");
    expect(existsSync(path.join(root, `${stateFile}.corrupt`, "inside"))).toBe(true);
    expect(warnings).toHaveLength(1);
  });

  it("keeps every corrupt copy, not only the last", () => {
    const root = tempRoot();
    writeRaw(root, "{ first");
    readState(root, () => {});
    writeRaw(root, "{ second");
    const warnings: string[] = [];
    readState(root, (line) => warnings.push(line));
    expect(readFileSync(path.join(root, `${stateFile}.corrupt`), "utf8")).toBe("{ first");
    expect(readFileSync(path.join(root, `${stateFile}.corrupt-2`), "utf8")).toBe("{ second");
    expect(warnings[0]).toContain("kept as .workbook/state.json.corrupt-2");
  });
});
