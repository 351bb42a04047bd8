import { type FSWatcher, statSync, watch } from "node:fs";
import { release } from "node:os";
import path from "node:path";

// Watches a few files for saves. fs.watch (inotify, FSEvents…) answers at once; where it cannot
// work — it throws, it errors later, or the files sit on a Windows drive under WSL, or on a
// network drive, where it stays silent — polling takes over.

export type WatchMode = "events" | "poll";

export interface FileWatcher {
  readonly mode: WatchMode;
  close(): void;
}

export interface WatchOptions {
  poll: boolean;
  intervalMs?: number;
  /** Told once when fs.watch fails and polling takes over. */
  onFallback?: (reason: string) => void;
}

/** A Windows drive mounted into WSL: fs.watch there never hears of a save. */
export function isWslWindowsDrive(file: string, platform = process.platform, osRelease = release()): boolean {
  return platform === "linux" && /microsoft/i.test(osRelease) && /^\/mnt\/[a-z]\//i.test(file);
}

export function watchFiles(files: string[], onChange: (file: string) => void, options: WatchOptions): FileWatcher {
  const intervalMs = options.intervalMs ?? 250;
  if (options.poll) return pollFiles(files, onChange, intervalMs);
  let current: FileWatcher;
  const fallBack = (reason: string) => {
    if (current.mode === "poll") return;
    current.close();
    options.onFallback?.(reason);
    current = pollFiles(files, onChange, intervalMs);
  };
  try {
    current = eventWatcher(files, onChange, (error) => fallBack(error.message));
  } catch (error) {
    options.onFallback?.((error as Error).message);
    current = pollFiles(files, onChange, intervalMs);
  }
  return {
    get mode() {
      return current.mode;
    },
    close: () => current.close(),
  };
}

function eventWatcher(files: string[], onChange: (file: string) => void, onError: (error: Error) => void): FileWatcher {
  // Watch folders, not files: editors that save by writing a new file and renaming it over the
  // old one would leave a file watcher looking at a file that no longer exists.
  const byFolder = new Map<string, Set<string>>();
  for (const file of files) {
    const names = byFolder.get(path.dirname(file)) ?? new Set<string>();
    names.add(path.basename(file));
    byFolder.set(path.dirname(file), names);
  }
  const watchers: FSWatcher[] = [];
  try {
    for (const [folder, names] of byFolder) {
      const watcher = watch(folder, (_event, filename) => {
        const name = filename?.toString();
        if (!name) for (const each of names) onChange(path.join(folder, each));
        else if (names.has(name)) onChange(path.join(folder, name));
      });
      watcher.on("error", onError);
      watchers.push(watcher);
    }
  } catch (error) {
    for (const watcher of watchers) watcher.close();
    throw error;
  }
  return {
    mode: "events",
    close: () => {
      for (const watcher of watchers) watcher.close();
    },
  };
}

function pollFiles(files: string[], onChange: (file: string) => void, intervalMs: number): FileWatcher {
  // Our own readings, taken now: fs.watchFile takes its first one asynchronously, so a save made
  // in between became its baseline and was never heard (seen on Node 24).
  const readings = new Map(files.map((file) => [file, reading(file)]));
  const timer = setInterval(() => {
    for (const file of files) {
      const now = reading(file);
      if (now === readings.get(file)) continue;
      readings.set(file, now);
      onChange(file);
    }
  }, intervalMs);
  return { mode: "poll", close: () => clearInterval(timer) };
}

/** What a save changes: the time, the size, or (an editor that renames a new file in) the inode. */
function reading(file: string): string {
  try {
    const stats = statSync(file);
    return `${stats.mtimeMs}:${stats.size}:${stats.ino}`;
  } catch {
    return "missing";
  }
}
