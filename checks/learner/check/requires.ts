import { accessSync, constants } from "node:fs";
import path from "node:path";
import type { Env } from "../cli/env.ts";

// A lesson may need a program installed on the machine (lesson.json "requires", e.g.
// ["redis-server"]). These say which ones are missing from PATH and how to install them; the
// renderer words the line a learner reads.

const INSTALL_HINTS: Record<string, string> = {
  "redis-server": "sudo apt-get install redis-server (Debian/Ubuntu) or brew install redis (macOS)",
};

/** The programs of `names` that are not found on env.PATH. */
export function missingExecutables(names: readonly string[], env: Env): string[] {
  const dirs = (env.PATH ?? "").split(path.delimiter).filter(Boolean);
  const suffixes = process.platform === "win32" ? ["", ".exe", ".cmd"] : [""];
  const found = (name: string) =>
    dirs.some((dir) =>
      suffixes.some((suffix) => {
        try {
          accessSync(path.join(dir, name + suffix), constants.X_OK);
          return true;
        } catch {
          return false;
        }
      }),
    );
  return names.filter((name) => !found(name));
}

export function installHint(name: string): string {
  return INSTALL_HINTS[name] ?? `install ${name} so that it is on PATH`;
}

/** True when a missing program must fail the run rather than skip the lesson (CI sets it). */
export function servicesRequired(env: Env): boolean {
  return env.WORKBOOK_REQUIRE_SERVICES === "1" || env.WORKBOOK_REQUIRE_SERVICES === "true";
}
