import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from "node:fs";
import path from "node:path";

// One room per file: two rooms started in one folder would hand out the same join code and key,
// and each would overwrite the other's file, losing learners on the next restart. The room that
// opens the file first holds `<file>.lock` (its process number, refreshed every few seconds)
// until it closes; a lock whose process has ended, or that nobody has refreshed for a while (left
// from before the machine restarted, its number now another process's), is taken over.

export class RoomInUseError extends Error {}

export interface RoomLock {
  release(): void;
}

const refreshMs = 5_000;
const staleMs = 30_000;

export function lockRoomFile(file: string, details: Record<string, unknown> = {}): RoomLock {
  const lockFile = `${file}.lock`;
  const content = JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString(), ...details });
  if (!create(lockFile, content)) {
    const holder = liveHolder(lockFile);
    if (holder) throw new RoomInUseError(inUseMessage(file, holder));
    rmSync(lockFile, { force: true });
    // Whoever else took it over in the meantime holds it now.
    if (!create(lockFile, content)) throw new RoomInUseError(inUseMessage(file, liveHolder(lockFile) ?? {}));
  }
  removeLeftoverTempFiles(file);
  const refresh = setInterval(() => {
    const now = new Date();
    try {
      utimesSync(lockFile, now, now);
    } catch {
      // Gone with its folder: the room carries on and its saves say what is wrong.
    }
  }, refreshMs);
  refresh.unref();
  return {
    release() {
      clearInterval(refresh);
      try {
        if (readFileSync(lockFile, "utf8") === content) rmSync(lockFile, { force: true });
      } catch {
        // Already gone.
      }
    },
  };
}

/** Creates the lock file with its content, or answers false when it exists. */
function create(lockFile: string, content: string): boolean {
  let fd: number;
  try {
    mkdirSync(path.dirname(lockFile), { recursive: true });
  } catch {
    // A file where the folder belongs: the open below fails, and the room's saves say so.
  }
  try {
    fd = openSync(lockFile, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    // No folder, a read-only disk: the room cannot save either, and says so when it tries.
    return true;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** What the lock file says about a room that is still running, or undefined when it is stale. */
function liveHolder(lockFile: string): { pid?: number; port?: number } | undefined {
  let holder: { pid?: number; port?: number } = {};
  let age: number;
  try {
    age = Date.now() - statSync(lockFile).mtimeMs;
    holder = JSON.parse(readFileSync(lockFile, "utf8"));
  } catch {
    // Half written by a room starting right now, or gone: judged by its age alone.
    age ??= 0;
  }
  if (age > staleMs) return undefined;
  if (typeof holder.pid === "number" && !running(holder.pid)) return undefined;
  return holder;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function inUseMessage(file: string, holder: { pid?: number; port?: number }): string {
  const which = [holder.port && `port ${holder.port}`, holder.pid && `process ${holder.pid}`]
    .filter(Boolean)
    .join(", ");
  return [
    `Another room (${which || "starting now"}) is open on ${file}: one folder holds one room.`,
    "Use that room's dashboard, or stop it first (Ctrl+C where it runs).",
    "For a second room, run npm run room from another copy of the workbook.",
  ].join(" ");
}

/** Temporary files a killed room left half written: with the lock held, nobody else is writing them. */
function removeLeftoverTempFiles(file: string): void {
  const base = path.basename(file);
  try {
    for (const name of readdirSync(path.dirname(file))) {
      if (name.startsWith(`${base}.`) && name.endsWith(".tmp"))
        rmSync(path.join(path.dirname(file), name), { force: true });
    }
  } catch {
    // No folder yet.
  }
}
