import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import type { Env } from "../cli/env.ts";
import { type FakeEditor, fakeEditor } from "../../testing/fake-editor.ts";
import { type FixtureWorkbook, capture, cleanEnv, createFixtureWorkbook } from "../../testing/fixture-workbook.ts";

// npm run open on a fixture workbook, with stand-ins for the learner's editor.

let workbook: FixtureWorkbook;
let editor: FakeEditor | undefined;
afterEach(() => {
  editor?.remove();
  editor = undefined;
  workbook?.remove();
});

const stub = "lessons/lesson-1-adder/adder.ts";
// No color on a terminal either, so that the tests read plain text.
const noEditor = { VISUAL: undefined, EDITOR: undefined, TERM_PROGRAM: undefined, NO_COLOR: "1" };
const env = (extra: Env = {}) => cleanEnv({ ...noEditor, ...extra });
/** stdin and stdout a terminal, as when a learner types the command. */
const terminal = () => ({ stdin: Object.assign(new PassThrough(), { isTTY: true }), stdout: capture(true) });

describe.runIf(process.platform !== "win32")("npm run open", () => {
  it("opens the top of the lesson's file when no check is recorded, and says why", async () => {
    workbook = createFixtureWorkbook();
    editor = fakeEditor("code");
    const { code, stdout } = await workbook.run(["open", "lesson-1"], { env: env({ EDITOR: editor.command }) });
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        "No failing check of lesson-1 is recorded: opening its file at the top " +
          "(npm run check lesson-1 finds the first failure).",
        `Opening ${stub}:1 in code.`,
        "",
      ].join("\n"),
    );
    expect(await editor.args()).toEqual(["-g", `${workbook.path(stub)}:1:1`]);
  });

  it("opens where the last check found its first failure: the line that is not written yet", async () => {
    workbook = createFixtureWorkbook();
    await workbook.run(["check", "lesson-1"]);
    editor = fakeEditor("subl");
    const { code, stdout } = await workbook.run(["open"], { env: env({ VISUAL: editor.command }) });
    expect(code).toBe(0);
    expect(stdout).toBe(`Opening ${stub}:4 in subl.\n`);
    expect(await editor.args()).toEqual([expect.stringMatching(new RegExp(`^${workbook.path(stub)}:4:\\d+$`))]);
  });

  it("says a passing lesson passes, and opens its file at the top", async () => {
    workbook = createFixtureWorkbook();
    await workbook.run(["solve", "lesson-1", "--yes"]);
    const { stdout } = await workbook.run(["open", "1"], { env: env() });
    expect(stdout.split("\n")[0]).toBe("lesson-1 passes: opening its file at the top.");
  });

  it("gives the file and line without any editor to open them in", async () => {
    workbook = createFixtureWorkbook();
    const { code, stdout } = await workbook.run(["open", "lesson-1"], {
      env: env({ TERM_PROGRAM: "vscode", PATH: "" }),
    });
    expect(code).toBe(0);
    expect(stdout.trimEnd().split("\n").pop()).toBe(
      `Open ${stub}:1 in your editor: no $VISUAL or $EDITOR is set (EDITOR=nano, for one), ` +
        "and this is not VS Code's terminal.",
    );
  });

  it("runs a terminal editor in this terminal and ends when it is closed", async () => {
    workbook = createFixtureWorkbook();
    editor = fakeEditor("vim");
    let done = false;
    const running = workbook.run(["open", "lesson-1"], { env: env({ EDITOR: editor.command }), ...terminal() });
    void running.then(() => (done = true));
    expect(await editor.args()).toEqual(["+1", workbook.path(stub)]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(done, "it waits for the editor").toBe(false);
    editor.close();
    expect((await running).code).toBe(0);
  });

  it("does not start a terminal editor without a terminal: it names the file and line instead", async () => {
    workbook = createFixtureWorkbook();
    editor = fakeEditor("nano");
    const { code, stdout } = await workbook.run(["open", "lesson-1"], { env: env({ EDITOR: editor.command }) });
    expect(code).toBe(0);
    expect(stdout).toContain(`nano (from $EDITOR) runs in a terminal, and this is not one: open ${stub}:1 yourself.\n`);
    expect(editor.started()).toBe(false);
  });

  it("fails with one line when the editor cannot be started, or exits with an error", async () => {
    workbook = createFixtureWorkbook();
    const missing = await workbook.run(["open", "lesson-1"], { env: env({ EDITOR: "/no/such/folder/zed" }) });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `zed (from $EDITOR) could not be started (spawn /no/such/folder/zed ENOENT): open ${stub}:1 yourself.\n`,
    );
    editor = fakeEditor("vim");
    const running = workbook.run(["open", "lesson-1"], { env: env({ EDITOR: editor.command }), ...terminal() });
    await editor.args();
    editor.close(3);
    expect(await running).toMatchObject({ code: 1, stderr: "vim exited with code 3.\n" });
  });
});
