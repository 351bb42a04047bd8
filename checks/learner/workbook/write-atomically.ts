import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Temp file + rename: a crash mid-write leaves the old file whole. Readable by its owner only. */
export function writeAtomically(file: string, content: string | Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temp, content, { mode: 0o600 });
  renameSync(temp, file);
}
