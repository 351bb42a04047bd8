import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

// A stand-in for a learner's editor, for the tests of `e` and `npm run open`: a script with the
// editor's name that writes down how it was started, then stays open until the test closes it,
// as a learner would, and exits with the code it is given.

export interface FakeEditor {
  /** The script's full path: what $EDITOR names. */
  command: string;
  /** The arguments it was started with, once it has started. */
  args(timeoutMs?: number): Promise<string[]>;
  started(): boolean;
  /** Closes it, with an exit code. */
  close(code?: number): void;
  remove(): void;
}

export function fakeEditor(name: string): FakeEditor {
  const dir = mkdtempSync(path.join(tmpdir(), "workbook-editor-"));
  const command = path.join(dir, name);
  const file = (what: string) => path.join(dir, what);
  writeFileSync(
    command,
    [
      "#!/bin/sh",
      `printf '%s\\n' "$@" > "${file("args.tmp")}" && mv "${file("args.tmp")}" "${file("args")}"`,
      // It also ends when its folder is removed, so that a test that never closes it leaves nothing running.
      `while [ -d "${dir}" ] && [ ! -e "${file("closed")}" ]; do sleep 0.02; done`,
      `exit "$(cat "${file("closed")}" 2>/dev/null || echo 0)"`,
      "",
    ].join("\n"),
  );
  chmodSync(command, 0o755);
  return {
    command,
    async args(timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (!existsSync(file("args"))) {
        if (Date.now() > until) throw new Error(`${name} was never started`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return readFileSync(file("args"), "utf8").trimEnd().split("\n");
    },
    started: () => existsSync(file("args")),
    close: (code = 0) => writeFileSync(file("closed"), String(code)),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
