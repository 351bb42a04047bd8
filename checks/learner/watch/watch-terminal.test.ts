import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Env } from "../cli/env.ts";
import { fakeEditor } from "../../testing/fake-editor.ts";
import {
  type FixtureWorkbook,
  cleanEnv,
  createFixtureWorkbook,
  projectRoot,
  references,
} from "../../testing/fixture-workbook.ts";

// npm start in a real pseudo-terminal (util-linux `script`), as a learner runs it: keys arrive one
// by one in raw mode, the screen is cleared for each verdict and the scrollback is left alone.

let workbook: FixtureWorkbook | undefined;
afterEach(() => {
  workbook?.remove();
  workbook = undefined;
});

const hasScript = process.platform === "linux" && existsSync("/usr/bin/script");

function startInTerminal(root: string, lesson = "", env: Env = {}) {
  const command = `${process.execPath} ${path.join(projectRoot, "checks/launch.mjs")} watch ${lesson}`.trimEnd();
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    cwd: root,
    env: cleanEnv({ NO_COLOR: "1", COLUMNS: "100", LINES: "50", VISUAL: undefined, ...env }) as NodeJS.ProcessEnv,
  });
  let output = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  /** Waits until `text` has appeared `times` times in all. */
  const waitFor = async (text: string, timeoutMs = 60_000, times = 1) => {
    const until = Date.now() + timeoutMs;
    while (output.split(text).length - 1 < times) {
      if (Date.now() > until) throw new Error(`"${text}" never appeared; the terminal showed:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  return {
    output: () => output,
    type: (keys: string) => child.stdin.write(keys),
    waitFor,
    exited,
    kill: () => child.kill("SIGKILL"),
  };
}

describe.runIf(hasScript)("npm start in a terminal", () => {
  it("picks a lesson from the list, shows the success banner last, and quits on q", async () => {
    workbook = createFixtureWorkbook();
    const terminal = startInTerminal(workbook.root);
    try {
      await terminal.waitFor("Watching lessons/lesson-1-adder/");
      terminal.type("l");
      await terminal.waitFor("Type a lesson's number and Enter to open it");
      terminal.type("2\r");
      await terminal.waitFor("Watching lessons/lesson-2-rate-limiter/");
      workbook.write("lessons/lesson-2-rate-limiter/limiter.ts", references["solutions/limiter.ts"]!);
      await terminal.waitFor("re-running lesson-2 rate limiter (limiter.ts saved)");
      await terminal.waitFor("lesson-2 rate limiter passed");
      await terminal.waitFor("still open");
      expect(terminal.output().trimEnd().split(/\r?\n/).pop()).toBe(
        "lesson-2 rate limiter passed — lesson-1 adder is still open: l, then 1 and Enter",
      );
      expect(terminal.output()).toContain("\u001b[H\u001b[2J");
      expect(terminal.output()).not.toContain("\u001b[3J");
      terminal.type("q");
      await expect(terminal.exited).resolves.toBe(0);
    } finally {
      terminal.kill();
    }
  });

  it("hands the terminal to a terminal editor on e, and takes it back when the editor exits", async () => {
    workbook = createFixtureWorkbook();
    const editor = fakeEditor("vim");
    const terminal = startInTerminal(workbook.root, "", { EDITOR: editor.command });
    try {
      await terminal.waitFor("Not written yet: add");
      terminal.type("e");
      expect(await editor.args()).toEqual(["+4", workbook.path("lessons/lesson-1-adder/adder.ts")]);
      const times = (text: string) => terminal.output().split(text).length - 1;
      const [clears, verdicts] = [times("\u001b[2J"), times("Not written yet: add")];
      editor.close();
      // The whole screen again, keys read again.
      await terminal.waitFor("\u001b[2J", 10_000, clears + 1);
      await terminal.waitFor("Not written yet: add", 10_000, verdicts + 1);
      terminal.type("q");
      await expect(terminal.exited).resolves.toBe(0);
    } finally {
      editor.remove();
      terminal.kill();
    }
  });

  it("tests exactly what is on disk after another terminal resets the lesson, and says it was reset", async () => {
    workbook = createFixtureWorkbook();
    const limiter = "lessons/lesson-2-rate-limiter/limiter.ts";
    await workbook.run(["solve", "lesson-2", "--yes"]);
    const terminal = startInTerminal(workbook.root, "lesson-2");
    try {
      await terminal.waitFor("lesson-2 rate limiter passed");
      // Another terminal puts the stub back: watch mode says so, stays, and runs the stub.
      expect((await workbook.run(["reset", "lesson-2", "--yes"])).code).toBe(0);
      await terminal.waitFor(`${limiter} is the original stub again (npm run reset).`);
      await terminal.waitFor("Not written yet: allow");
      // The learner then saves their own version, which fails one test: that is what must run.
      workbook.write(
        limiter,
        "export function allow(used: number, max: number): boolean {\n  return used <= max;\n}\n",
      );
      await terminal.waitFor("lesson-2 rate limiter: 1/2 tests passing");
      expect(terminal.output()).toContain("First failure: refuses a request at the limit");
      expect(terminal.output()).not.toContain("switching to");
      expect(terminal.output()).not.toContain("You saved");
      terminal.type("q");
      await expect(terminal.exited).resolves.toBe(0);
    } finally {
      terminal.kill();
    }
  });
});
