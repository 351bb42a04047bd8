import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Lesson, loadLessons, parseHints, resolveLesson } from "./lessons.ts";
import { UserError } from "../cli/user-error.ts";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function manifest(number: number, pattern: string, extra: Record<string, unknown> = {}) {
  return {
    id: `lesson-${number}`,
    pattern,
    title: `The ${pattern} lesson`,
    minutes: 10,
    files: [{ stub: `${pattern}.ts`, reference: `solutions/${pattern}.ts` }],
    tests: [`${pattern}.test.ts`],
    ...extra,
  };
}

function workbook(folders: Record<string, unknown>): string {
  const root = mkdtempSync(path.join(tmpdir(), "workbook-lessons-"));
  roots.push(root);
  for (const [folder, content] of Object.entries(folders)) {
    mkdirSync(path.join(root, "lessons", folder), { recursive: true });
    if (content !== undefined) {
      writeFileSync(
        path.join(root, "lessons", folder, "lesson.json"),
        typeof content === "string" ? content : JSON.stringify(content),
      );
    }
  }
  return root;
}

describe("loadLessons", () => {
  it("orders lessons by their number, not by folder name", () => {
    const root = workbook({
      "lesson-10-last": manifest(10, "last"),
      "lesson-2-second": manifest(2, "second"),
      "lesson-1-first": manifest(1, "first"),
    });
    expect(loadLessons(root).lessons.map((l) => l.id)).toEqual(["lesson-1", "lesson-2", "lesson-10"]);
  });

  it("gives each lesson its folder and its path from the project root", () => {
    const root = workbook({ "lesson-3-repository": manifest(3, "repository") });
    expect(loadLessons(root).lessons[0]).toMatchObject({
      number: 3,
      folder: "lesson-3-repository",
      dir: "lessons/lesson-3-repository",
    });
  });

  it("finds no lessons and no problems when there is no lessons folder", () => {
    const root = mkdtempSync(path.join(tmpdir(), "workbook-empty-"));
    roots.push(root);
    expect(loadLessons(root)).toEqual({ lessons: [], problems: [] });
  });

  it.each([
    ["a folder without lesson.json", undefined, "has no lesson.json"],
    ["a lesson.json that is not JSON", "{ nope", "lesson.json is not valid JSON"],
    ["no test files", manifest(4, "four", { tests: [] }), '"tests"'],
    ["an id that is not the folder's", manifest(5, "four"), 'says id "lesson-5" but the folder is lesson-4'],
    [
      "a requirement that is not an executable's name",
      manifest(4, "four", { requires: ["redis server; rm -rf"] }),
      '"requires.0" must name an executable',
    ],
    ["requirements that are not a list", manifest(4, "four", { requires: "redis-server" }), '"requires"'],
  ])("reports %s as a problem and keeps the other lessons", (_case, content, message) => {
    const root = workbook({ "lesson-1-ok": manifest(1, "ok"), "lesson-4-four": content });
    const { lessons, problems } = loadLessons(root);
    expect(lessons.map((l) => l.id)).toEqual(["lesson-1"]);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.dir).toBe("lessons/lesson-4-four");
    expect(problems[0]!.message).toContain(message);
  });

  it("reads the executables a lesson requires, and none when it names none", () => {
    const root = workbook({
      "lesson-1-ok": manifest(1, "ok"),
      "lesson-2-redis": manifest(2, "redis", { requires: ["redis-server"] }),
    });
    expect(loadLessons(root).lessons.map((l) => l.requires)).toEqual([undefined, ["redis-server"]]);
  });

  it("reads the hints from the lesson's README, and has none without a README", () => {
    const root = workbook({ "lesson-1-ok": manifest(1, "ok"), "lesson-2-bare": manifest(2, "bare") });
    writeFileSync(
      path.join(root, "lessons/lesson-1-ok/README.md"),
      "# Ok\n\n## Hints\n\n1. Look.\n2. Look closer.\n3. `return 1;`\n",
    );
    expect(loadLessons(root).lessons.map((l) => l.hints)).toEqual([["Look.", "Look closer.", "`return 1;`"], []]);
  });

  it("ignores folders that are not lesson folders", () => {
    const root = workbook({ "lesson-1-ok": manifest(1, "ok"), shared: undefined });
    expect(loadLessons(root)).toMatchObject({ lessons: [{ id: "lesson-1" }], problems: [] });
  });
});

describe("resolveLesson", () => {
  const lessons = [manifest(1, "errors"), manifest(3, "repository"), manifest(6, "rate limiter")].map(
    (m): Lesson => ({
      ...m,
      hints: [],
      number: Number(m.id.slice(7)),
      folder: `${m.id}-${m.pattern.replace(" ", "-")}`,
      dir: `lessons/${m.id}-${m.pattern.replace(" ", "-")}`,
    }),
  );

  it.each([
    ["lesson-3", "lesson-3"],
    ["3", "lesson-3"],
    ["repository", "lesson-3"],
    ["Repository", "lesson-3"],
    ["lesson-3-repository", "lesson-3"],
    ["lessons/lesson-3-repository/", "lesson-3"],
    ["lesson 3", "lesson-3"],
    ["rate limiter", "lesson-6"],
    ["rate-limiter", "lesson-6"],
    ["rate_limiter", "lesson-6"],
  ])("finds %j", (name, id) => {
    expect(resolveLesson(lessons, name).id).toBe(id);
  });

  it.each(["lesson-9", "9", "cache", ""])("rejects %j with one line listing the lessons and exit code 2", (name) => {
    const error = (() => {
      try {
        resolveLesson(lessons, name);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(2);
    expect((error as UserError).message).toBe(
      `Unknown lesson "${name}". Lessons: lesson-1 errors, lesson-3 repository, lesson-6 rate limiter.`,
    );
  });
});

describe("parseHints", () => {
  it("reads one hint per <details> block of the Hints section, as one line of markdown", () => {
    const readme = [
      "# Lesson",
      "",
      "<details><summary>Not a hint</summary>outside the section</details>",
      "",
      "## Hints",
      "",
      "<details><summary>Hint 1</summary>",
      "",
      "Start with `a`,",
      "then **b**.",
      "",
      "</details>",
      "",
      "<details>",
      "<summary>Hint 2</summary>",
      "Second.",
      "</details>",
      "",
      "## In production",
      "",
      "<details><summary>Aside</summary>not a hint either</details>",
    ].join("\r\n");
    expect(parseHints(readme)).toEqual(["Start with `a`, then **b**.", "Second."]);
  });

  it("keeps a hint's paragraphs apart and its code block's lines, indented", () => {
    const readme =
      "## Hints\n\n<details><summary>Hint 3</summary>\n\nFirst\nparagraph.\n\n```ts\nif (a) {\n  return b;\n}\n```\n\nLast.\n\n</details>\n";
    expect(parseHints(readme)).toEqual(["First paragraph.\n  if (a) {\n    return b;\n  }\nLast."]);
  });

  it.each([
    ["a numbered list", "## Hints\n\nIntro.\n\n1. One.\n2. Two,\n   continued.\n"],
    ["a bulleted list", "## Hints\n- One.\n* Two, continued.\n"],
  ])("reads one hint per item of %s when there are no <details> blocks", (_, readme) => {
    expect(parseHints(readme)).toEqual(["One.", "Two, continued."]);
  });

  it("finds no hints without a Hints section", () => {
    expect(parseHints("# Lesson\n\n### Hints\n\n- not at this level\n")).toEqual([]);
  });
});
