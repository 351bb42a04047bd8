import { type FSWatcher, type Stats, unwatchFile, watch, watchFile } from "node:fs";
import { release } from "node:os";
import path from "node:path";

// Watches a few files for saves. fs.watch (inotify, FSEvents…) answers at once; where it cannot
// work — it throws, it errors later, or the files sit on a Windows drive under WSL, or on a
// network drive, where it stays silent — fs.watchFile polls instead.

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
  return { mode: "events", close: () => watchers.forEach((watcher) => watcher.close()) };
}

function pollFiles(files: string[], onChange: (file: string) => void, intervalMs: number): FileWatcher {
  const listeners = files.map((file) => {
    const listener = (current: Stats, previous: Stats) => {
      if (current.mtimeMs !== previous.mtimeMs || current.size !== previous.size) onChange(file);
    };
    watchFile(file, { interval: intervalMs, persistent: true }, listener);
    return { file, listener };
  });
  return { mode: "poll", close: () => listeners.forEach(({ file, listener }) => unwatchFile(file, listener)) };
}
