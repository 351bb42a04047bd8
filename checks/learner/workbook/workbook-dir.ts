import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import path from "node:path";

// The git-ignored folder where the workbook keeps what is the learner's alone: progress, backups,
// the room they joined. Nothing found in it ever stops a command: whatever is in the way is kept
// aside under a free name and named in a warning.

export const workbookDir = ".workbook";

/** `base`, or `base-2`, `base-3`…: the first name that nothing uses yet. */
export function freeName(base: string): string {
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    if (!existsSync(candidate)) return candidate;
  }
}

/** Makes .workbook/ a folder, moving aside a file of that name if there is one. */
export function ensureWorkbookDir(root: string, warn: (line: string) => void = () => {}): string {
  const dir = path.join(root, workbookDir);
  try {
    if (statSync(dir).isDirectory()) return dir;
    const kept = freeName(`${dir}.corrupt`);
    renameSync(dir, kept);
    warn(`${workbookDir} was a file, not a folder: kept as ${path.basename(kept)}, and progress starts afresh.`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}
