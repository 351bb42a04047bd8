// When the room's file is written: changes gather for a short while, then one write runs, never
// two at once; changes made during a write wait for the next. The wait is at least five times
// the last write's (at most 2 s), so that a big room spends no more than a fifth of its time
// writing: 2,000 learners on a busy disk are saved about once a second.

export interface Saver {
  /** Something changed: write soon. */
  request(): void;
  /** Writes what is pending now, after any write under way; resolves when the file is whole on disk. */
  flush(): Promise<void>;
}

export function createSaver(write: () => Promise<void>, delayMs: number): Saver {
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> | undefined;
  let pending = false;
  let lastWriteMs = 0;

  const run = async () => {
    clearTimeout(timer);
    timer = undefined;
    pending = false;
    const started = performance.now();
    writing = write().finally(() => {
      writing = undefined;
      lastWriteMs = performance.now() - started;
    });
    await writing;
    if (pending) schedule();
  };

  const schedule = () => {
    if (timer !== undefined || writing !== undefined) return;
    timer = setTimeout(() => void run(), Math.max(delayMs, Math.min(5 * lastWriteMs, 2_000)));
    timer.unref();
  };

  return {
    request() {
      pending = true;
      schedule();
    },
    async flush() {
      while (writing !== undefined) await writing;
      if (pending) await run();
    },
  };
}
