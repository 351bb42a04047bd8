import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Lesson } from "./lessons.ts";
import {
  type LessonState,
  currentLesson,
  emptyState,
  lessonStatus,
  readState,
  stateFile,
  updateState,
  writeState,
} from "./state.ts";

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

const lessons = [1, 2, 3].map((n) => ({ id: `lesson-${n}` }) as Lesson);

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

  it("updateState changes one field and keeps the rest", () => {
    const root = tempRoot();
    writeState(root, { version: 1, current: "lesson-3", lessons: {} });
    updateState(
      root,
      () => {},
      (state) => {
        state.lessons["lesson-1"] = { passed: true, testsPassing: 2, testsTotal: 2, hintsUsed: 1, solved: false };
      },
    );
    expect(readState(root, () => {})).toMatchObject({ current: "lesson-3", lessons: { "lesson-1": { passed: true } } });
  });

  it("survives deleting .workbook: the next read starts afresh", () => {
    const root = tempRoot();
    writeState(root, { version: 1, current: "lesson-2", lessons: {} });
    rmSync(path.join(root, ".workbook"), { recursive: true });
    expect(existsSync(path.join(root, stateFile))).toBe(false);
    expect(readState(root, () => {})).toEqual(emptyState());
  });
});

describe("currentLesson", () => {
  const passed = { passed: true, testsPassing: 1, testsTotal: 1, hintsUsed: 0, solved: false };

  it("is the recorded current lesson", () => {
    expect(currentLesson(lessons, { version: 1, current: "lesson-2", lessons: {} }).id).toBe("lesson-2");
  });

  it("is the first lesson not passed when none is recorded", () => {
    expect(currentLesson(lessons, { version: 1, lessons: { "lesson-1": passed } }).id).toBe("lesson-2");
  });

  it("is the first lesson not passed when the recorded one no longer exists", () => {
    expect(currentLesson(lessons, { version: 1, current: "lesson-12", lessons: {} }).id).toBe("lesson-1");
  });

  it("is the last lesson when every lesson has passed", () => {
    expect(
      currentLesson(lessons, { version: 1, lessons: { "lesson-1": passed, "lesson-2": passed, "lesson-3": passed } })
        .id,
    ).toBe("lesson-3");
  });
});

describe("lessonStatus", () => {
  const base: LessonState = { passed: false, testsPassing: 0, testsTotal: 0, hintsUsed: 0, solved: false };
  it.each([
    [{}, "not-started"],
    [{ testsTotal: 5 }, "not-started"],
    [{ testsPassing: 2, testsTotal: 5 }, "started"],
    [{ hintsUsed: 1 }, "started"],
    [{ passed: true, testsPassing: 5, testsTotal: 5 }, "passed"],
  ])("%j is %s", (fields, status) => {
    expect(lessonStatus({ ...base, ...fields })).toBe(status);
  });
});

describe("a damaged .workbook folder", () => {
  it("moves aside a .workbook that is a file, keeping it, and saves progress in a new folder", () => {
    const root = tempRoot();
    writeFileSync(path.join(root, ".workbook"), "not a folder");
    const warnings: string[] = [];
    expect(readState(root, (line) => warnings.push(line))).toEqual(emptyState());
    updateState(
      root,
      (line) => warnings.push(line),
      (state) => {
        state.current = "lesson-2";
      },
    );
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
