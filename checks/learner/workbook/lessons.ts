import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { UserError } from "../cli/user-error.ts";

// The lesson list is data: every lessons/lesson-N-*/lesson.json that validates is a lesson, in
// the order of N. A folder whose manifest is missing or wrong is reported, never fatal, so one
// half-written lesson cannot stop a learner working on the others.

const lessonManifestSchema = z.object({
  id: z.string().regex(/^lesson-\d+$/, 'must look like "lesson-3"'),
  pattern: z.string().min(1),
  title: z.string().min(1),
  minutes: z.number().int().positive(),
  /** How many tests the lesson's test files hold: the size of a solved lesson. npm run verify keeps it true. */
  testCount: z.number().int().positive().optional(),
  files: z.array(z.object({ stub: z.string().min(1), reference: z.string().min(1) })).min(1),
  tests: z.array(z.string().min(1)).min(1),
  /** Executables the lesson's tests need on the PATH, e.g. ["redis-server"]. */
  requires: z.array(z.string().regex(/^[\w.+-]+$/, "must name an executable, e.g. redis-server")).optional(),
});

type LessonManifest = z.infer<typeof lessonManifestSchema>;
export type LessonFile = LessonManifest["files"][number];

export type Lesson = LessonManifest & {
  /** The hints of the README's "Hints" section, in order: the one place they are written. */
  hints: string[];
  number: number;
  /** The folder name, e.g. "lesson-3-repository". */
  folder: string;
  /** The folder relative to the project root, with forward slashes: "lessons/lesson-3-repository". */
  dir: string;
};

export interface LessonProblem {
  dir: string;
  message: string;
}

interface LessonCatalog {
  lessons: Lesson[];
  problems: LessonProblem[];
}

const lessonFolderPattern = /^lesson-(\d+)(?:-|$)/;

export function loadLessons(root: string): LessonCatalog {
  const lessonsDir = path.join(root, "lessons");
  if (!existsSync(lessonsDir)) return { lessons: [], problems: [] };
  const lessons: Lesson[] = [];
  const problems: LessonProblem[] = [];
  const folders = readdirSync(lessonsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && lessonFolderPattern.test(entry.name))
    .map((entry) => entry.name);
  for (const folder of folders) {
    const result = loadLesson(root, folder);
    if ("lesson" in result) lessons.push(result.lesson);
    else problems.push({ dir: `lessons/${folder}`, message: result.problem });
  }
  lessons.sort((a, b) => a.number - b.number);
  for (let i = 1; i < lessons.length; i++) {
    if (lessons[i]!.id === lessons[i - 1]!.id) {
      problems.push({ dir: lessons[i]!.dir, message: `${lessons[i]!.id} is already used by ${lessons[i - 1]!.dir}` });
    }
  }
  const unique = lessons.filter((lesson, i) => i === 0 || lesson.id !== lessons[i - 1]!.id);
  return { lessons: unique, problems };
}

function loadLesson(root: string, folder: string): { lesson: Lesson } | { problem: string } {
  const manifestPath = path.join(root, "lessons", folder, "lesson.json");
  if (!existsSync(manifestPath)) return { problem: "has no lesson.json" };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestPath, "utf8"));
  } catch (error) {
    return { problem: `lesson.json is not valid JSON (${(error as Error).message})` };
  }
  const parsed = lessonManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? `"${issue.path.join(".")}" ` : "";
    return { problem: `lesson.json: ${where}${issue.message}` };
  }
  const number = Number(lessonFolderPattern.exec(folder)![1]);
  if (parsed.data.id !== `lesson-${number}`) {
    return { problem: `lesson.json says id "${parsed.data.id}" but the folder is lesson-${number}` };
  }
  return { lesson: { ...parsed.data, hints: readmeHints(root, folder), number, folder, dir: `lessons/${folder}` } };
}

/**
 * The hints of a lesson's README: its "## Hints" section holds one `<details>` block per hint
 * (or, in a plain README, one list item per hint). The README is where a learner reads a hint in
 * context, so it is the hints' one source; `npm run hint` shows the same text, one at a time.
 */
function readmeHints(root: string, folder: string): string[] {
  const readme = path.join(root, "lessons", folder, "README.md");
  if (!existsSync(readme)) return [];
  return parseHints(readFileSync(readme, "utf8"));
}

export function parseHints(markdown: string): string[] {
  const section = /^##\s+Hints\s*$([\s\S]*?)(?=^##\s|(?![\s\S]))/m.exec(markdown.replace(/\r\n/g, "\n"))?.[1] ?? "";
  const blocks = [...section.matchAll(/<details>\s*<summary>[\s\S]*?<\/summary>([\s\S]*?)<\/details>/g)].map(
    (m) => m[1]!,
  );
  const items = blocks.length > 0 ? blocks : section.split(/^(?:[-*]|\d+\.)\s+/m).slice(1);
  return items.map(hintText).filter(Boolean);
}

/** A hint as terminal text: each paragraph on one line, a fenced code block's lines kept and indented. */
function hintText(markdown: string): string {
  const lines: string[] = [];
  let paragraph: string[] = [];
  let inCode = false;
  const endParagraph = () => {
    if (paragraph.length > 0) lines.push(paragraph.join(" "));
    paragraph = [];
  };
  for (const line of markdown.split("\n")) {
    if (/^\s*```/.test(line)) {
      endParagraph();
      inCode = !inCode;
    } else if (inCode) {
      if (line.trim() !== "") lines.push(`  ${line.trimEnd()}`);
    } else if (line.trim() === "") {
      endParagraph();
    } else {
      paragraph.push(line.trim());
    }
  }
  endParagraph();
  return lines.join("\n");
}

export function stubPath(lesson: Lesson, file: LessonFile): string {
  return `${lesson.dir}/${file.stub}`;
}

export function testPaths(lesson: Lesson): string[] {
  return lesson.tests.map((test) => `${lesson.dir}/${test}`);
}

/** Where the learner works: "lessons/lesson-9-…/users-route.ts and …/user-by-id-route.ts". */
export function describeStubs(lesson: Lesson): string {
  return lesson.files.map((file) => stubPath(lesson, file)).join(" and ");
}

export function lessonLabel(lesson: Lesson): string {
  return `${lesson.id} ${lesson.pattern}`;
}

function normalizeName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/\\/g, "/")
    .replace(/^\.?\/?lessons\//, "")
    .replace(/\/+$/, "")
    .replace(/[\s_]+/g, "-")
    .replace(/-+/g, "-");
}

/** Accepts "lesson-3", "3", "repository", "rate limiter", "lesson-3-repository" or its path. */
export function resolveLesson(lessons: Lesson[], name: string): Lesson {
  const key = normalizeName(name);
  const found = lessons.find((lesson) =>
    [lesson.id, String(lesson.number), normalizeName(lesson.pattern), lesson.folder].includes(key),
  );
  if (found) return found;
  throw new UserError(`Unknown lesson "${name}". ${listLessons(lessons)}`);
}

function listLessons(lessons: Lesson[]): string {
  if (lessons.length === 0) return "There are no lessons in lessons/ yet.";
  return `Lessons: ${lessons.map(lessonLabel).join(", ")}.`;
}

export function requireLessons(catalog: LessonCatalog): Lesson[] {
  if (catalog.lessons.length === 0)
    throw new UserError("No lessons found: lessons/ holds no lesson-N-*/lesson.json.", 1);
  return catalog.lessons;
}
