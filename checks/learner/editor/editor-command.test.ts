import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { chooseEditor, editorCommand, programName, splitCommand } from "./editor-command.ts";

// How each editor is told "this file, at this line", and whether it needs the terminal.

const at = { file: "/work/lessons/lesson-6-rate-limiter/rate-limit.ts", line: 42, column: 7 };
const file = at.file;

describe("editorCommand", () => {
  it.each([
    ["vim", ["+42", file], true],
    ["vi", ["+42", file], true],
    ["nvim", ["+42", file], true],
    ["nano", ["+42", file], true],
    ["micro", ["+42", file], true],
    ["kak", ["+42", file], true],
    ["emacs -nw", ["-nw", "+42", file], true],
    ["emacsclient -t", ["-t", "+42", file], true],
    ["emacsclient -n", ["-n", "+42", file], false],
    ["hx", [`${file}:42:7`], true],
    ["code", ["-g", `${file}:42:7`], false],
    ["code --wait", ["--wait", "-g", `${file}:42:7`], false],
    ["codium", ["-g", `${file}:42:7`], false],
    ["cursor", ["-g", `${file}:42:7`], false],
    ["subl", [`${file}:42:7`], false],
    ["zed", [`${file}:42:7`], false],
    ["webstorm", ["--line", "42", file], false],
    ["mate", ["-l", "42", file], false],
    ["notepad++", ["-n42", file], false],
    ["/usr/local/bin/nvim", ["+42", file], true],
    ['"C:\\Program Files\\Microsoft VS Code\\bin\\code.cmd"', ["-g", `${file}:42:7`], false],
    // An editor it does not know gets the file alone, and the terminal: waiting is safe for either kind.
    ["ed", [file], true],
  ])("opens $EDITOR=%s with %j (in the terminal: %s)", (editor, args, terminal) => {
    const command = editorCommand(splitCommand(editor), "EDITOR", at, { env: {}, platform: "linux" });
    expect({ args: command.args, terminal: command.terminal }).toEqual({ args, terminal });
  });

  it.each([
    ["linux with a display", "linux", { DISPLAY: ":0" }, false],
    ["linux under Wayland", "linux", { WAYLAND_DISPLAY: "wayland-0" }, false],
    ["linux without a display", "linux", {}, true],
    ["macOS, where emacs on the PATH is the terminal one", "darwin", { DISPLAY: ":0" }, true],
  ] as const)("runs plain emacs in its own window only where it can have one: %s", (_case, platform, env, terminal) => {
    expect(editorCommand(["emacs"], "EDITOR", at, { env, platform }).terminal).toBe(terminal);
  });

  it("opens at line 1, column 1 when the location knows neither", () => {
    expect(editorCommand(["code"], "EDITOR", { file, line: 0, column: 0 }).args).toEqual(["-g", `${file}:1:1`]);
  });

  it("names the program as a learner knows it", () => {
    expect(["C:\\Tools\\Code.exe", "/usr/bin/nvim", "subl.cmd"].map(programName)).toEqual(["code", "nvim", "subl"]);
  });
});

describe("chooseEditor", () => {
  let bin: string | undefined;
  afterEach(() => {
    if (bin) rmSync(bin, { recursive: true, force: true });
    bin = undefined;
  });

  /** A folder holding an executable of each name, as a PATH. */
  function pathWith(...names: string[]): string {
    bin = mkdtempSync(path.join(tmpdir(), "workbook-editors-"));
    for (const name of names) {
      writeFileSync(path.join(bin, name), "#!/bin/sh\n");
      chmodSync(path.join(bin, name), 0o755);
    }
    return bin;
  }

  const location = { file: "lessons/lesson-1-adder/adder.ts", line: 3, column: 1 };
  const choose = (env: Record<string, string | undefined>) => chooseEditor("/work", location, env, "linux");

  it("takes $VISUAL first, then $EDITOR, and opens the file by its full path", () => {
    expect(choose({ VISUAL: "nvim", EDITOR: "nano" })).toMatchObject({ from: "VISUAL", name: "nvim" });
    expect(choose({ EDITOR: "nano" })).toEqual({
      command: "nano",
      args: ["+3", "/work/lessons/lesson-1-adder/adder.ts"],
      name: "nano",
      terminal: true,
      from: "EDITOR",
    });
  });

  it("uses VS Code's own command in its integrated terminal when neither is set", () => {
    const env = { TERM_PROGRAM: "vscode", PATH: pathWith("code") };
    expect(choose(env)).toMatchObject({ from: "VS Code", command: "code", terminal: false });
    expect(choose({ ...env, EDITOR: "vim" }), "an editor the learner chose wins").toMatchObject({ name: "vim" });
  });

  it("finds no editor without $VISUAL or $EDITOR, outside VS Code, or in VS Code without its command", () => {
    expect(choose({ EDITOR: "  ", PATH: pathWith("code") })).toBeUndefined();
    expect(choose({ TERM_PROGRAM: "vscode", PATH: pathWith("vim") })).toBeUndefined();
  });
});
