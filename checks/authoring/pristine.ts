import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { committedFile } from "../learner/workbook/git.ts";
import { type Lesson, stubPath } from "../learner/workbook/lessons.ts";
import { workbookDir } from "../learner/workbook/workbook-dir.ts";

// The stubs as committed, for `npm run verify`, which must prove things about the untouched stubs
// even in a checkout where a learner has been editing them, and without touching their files.

export interface PristineStub {
  file: string;
  content: string;
  /** "working" when there is no committed copy (a new lesson, no git), so the working copy stands in. */
  source: "git" | "working";
  /** Why there is no committed copy, for a "working" stub. */
  reason?: string;
}

export function pristineStubs(root: string, lesson: Lesson): { stubs: PristineStub[]; problems: string[] } {
  const stubs: PristineStub[] = [];
  const problems: string[] = [];
  for (const file of lesson.files) {
    const stub = stubPath(lesson, file);
    const committed = committedFile(root, stub);
    if (committed.found) stubs.push({ file: stub, content: committed.content.toString("utf8"), source: "git" });
    else if (existsSync(path.join(root, stub)))
      stubs.push({
        file: stub,
        content: readFileSync(path.join(root, stub), "utf8"),
        source: "working",
        reason: committed.reason,
      });
    else problems.push(`${stub} does not exist`);
  }
  return { stubs, problems };
}

let mirrors = 0;

/**
 * A copy of lessons/ at .workbook/pristine-<pid>/lessons with the committed stubs in place, for
 * the type-checker. It sits two folders down like lessons/ itself, and the project's other folders
 * are linked beside it, so the copies' relative imports reach the same files.
 */
export function createPristineMirror(
  root: string,
  stubs: Pick<PristineStub, "file" | "content">[],
): { dir: string; remove: () => void } {
  const dir = `${workbookDir}/pristine-${process.pid}-${Date.now()}-${++mirrors}`;
  const mirror = path.join(root, dir);
  rmSync(mirror, { recursive: true, force: true });
  mkdirSync(mirror, { recursive: true });
  cpSync(path.join(root, "lessons"), path.join(mirror, "lessons"), { recursive: true });
  for (const stub of stubs) writeFileSync(path.join(mirror, stub.file), stub.content);
  for (const entry of readdirSync(root)) {
    if (["lessons", workbookDir, ".git", "node_modules"].includes(entry)) continue;
    try {
      symlinkSync(
        path.join(root, entry),
        path.join(mirror, entry),
        process.platform === "win32" ? "junction" : undefined,
      );
    } catch {
      // Only imports that leave lessons/ by a relative path need the links; lessons use "@/…".
    }
  }
  return { dir, remove: () => rmSync(mirror, { recursive: true, force: true }) };
}
