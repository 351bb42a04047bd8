import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ensureWorkbookDir, workbookDir } from "./workbook-dir.ts";

// reset and solve never overwrite a learner's file without first copying it to
// .workbook/backups/<lesson>/<timestamp>/<file>: one folder per operation, never reused.

interface Backup {
  /** The backup folder relative to the project root, e.g. ".workbook/backups/lesson-3/2026-…". */
  dir: string;
  /** Copies one file into the backup and returns where it went, relative to the project root. */
  save(fileName: string, content: Buffer): string;
}

export function backupStamp(now: Date): string {
  return now.toISOString().replace(/:/g, "-").replace(".", "-");
}

export function createBackup(root: string, lessonId: string, now: Date): Backup {
  ensureWorkbookDir(root);
  const base = `${workbookDir}/backups/${lessonId}/${backupStamp(now)}`;
  const dir = claimFolder(root, base);
  return {
    dir,
    save(fileName, content) {
      const target = `${dir}/${fileName}`;
      mkdirSync(path.dirname(path.join(root, target)), { recursive: true });
      writeFileSync(path.join(root, target), content, { flag: "wx" });
      return target;
    },
  };
}

/** Creates a folder that did not exist before, adding -2, -3… when two operations share a millisecond. */
function claimFolder(root: string, base: string): string {
  mkdirSync(path.dirname(path.join(root, base)), { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const candidate = attempt === 1 ? base : `${base}-${attempt}`;
    try {
      mkdirSync(path.join(root, candidate));
      return candidate;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

export interface Replacement {
  /** Relative to the project root. */
  file: string;
  content: Buffer;
}

export interface ReplaceReport {
  /** The learner's version of each replaced file and where it was copied to. */
  backedUp: { file: string; to: string }[];
  written: string[];
}

/** Files whose content differs from (or is missing compared with) the replacement. */
export function pendingReplacements(root: string, replacements: Replacement[]): Replacement[] {
  return replacements.filter(({ file, content }) => {
    const target = path.join(root, file);
    return !existsSync(target) || !readFileSync(target).equals(content);
  });
}

/** A file that could not be overwritten, after its backup was made. */
export class WriteFailure extends Error {
  constructor(
    readonly file: string,
    readonly code: string,
    readonly backedUpTo: string | undefined,
  ) {
    super(`could not write ${file} (${code})`);
  }
}

/** Overwrites files, each one backed up before it is touched (a missing file needs no backup). */
export function replaceWithBackup(
  root: string,
  lessonId: string,
  now: Date,
  replacements: Replacement[],
): ReplaceReport {
  const report: ReplaceReport = { backedUp: [], written: [] };
  let backup: Backup | undefined;
  for (const { file, content } of pendingReplacements(root, replacements)) {
    const target = path.join(root, file);
    let backedUpTo: string | undefined;
    if (existsSync(target)) {
      backup ??= createBackup(root, lessonId, now);
      backedUpTo = backup.save(path.basename(file), readFileSync(target));
      report.backedUp.push({ file, to: backedUpTo });
    }
    try {
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, content);
    } catch (error) {
      throw new WriteFailure(file, (error as NodeJS.ErrnoException).code ?? "error", backedUpTo);
    }
    report.written.push(file);
  }
  return report;
}
