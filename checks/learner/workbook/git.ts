import { execFileSync } from "node:child_process";
import { UserError } from "../cli/user-error.ts";

// The pristine stub is the file as committed: `git show HEAD:<path>`. Nothing else in the
// checkout can be trusted to be untouched, and git is the one copy a learner cannot edit by accident.

type CommittedFile = { found: true; content: Buffer } | { found: false; reason: string };

export function committedFile(root: string, relativePath: string): CommittedFile {
  try {
    const content = execFileSync("git", ["show", `HEAD:./${relativePath}`], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
    return { found: true, content };
  } catch (error) {
    return {
      found: false,
      reason: gitFailureReason(error as NodeJS.ErrnoException & { stderr?: Buffer }, relativePath),
    };
  }
}

function gitFailureReason(error: NodeJS.ErrnoException & { stderr?: Buffer }, relativePath: string): string {
  if (error.code === "ENOENT") return "git is not installed, so there is no committed copy to compare with";
  const stderr = error.stderr?.toString() ?? "";
  if (/not a git repository/i.test(stderr)) return "this folder is not a git checkout, so there is no committed copy";
  if (/does not have any commits|bad revision|invalid object name 'HEAD'|unknown revision/i.test(stderr)) {
    return "this git checkout has no commits yet";
  }
  if (/exists on disk, but not in|does not exist in/i.test(stderr)) return `${relativePath} is not committed in git`;
  return `git could not read ${relativePath}: ${stderr.trim().split("\n")[0] ?? "unknown error"}`;
}

/** The committed content, or a UserError saying why there is none. */
export function requireCommittedFile(root: string, relativePath: string): Buffer {
  const result = committedFile(root, relativePath);
  if (result.found) return result.content;
  throw new UserError(`Cannot restore ${relativePath}: ${result.reason}.`, 1);
}

export function gitUserName(root: string): string | undefined {
  try {
    const name = execFileSync("git", ["config", "user.name"], { cwd: root, stdio: ["ignore", "pipe", "ignore"] });
    return name.toString().trim() || undefined;
  } catch {
    return undefined;
  }
}
