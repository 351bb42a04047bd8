import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { projectRoot } from "./testing/fixture-workbook.ts";

// checks/launch.mjs runs the CLI bundled, and rebuilds the bundle when one of its sources is newer. Tried on
// a copy of the launcher beside a tiny cli.ts, so that the real bundle is left alone.

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const cli = (word: string) =>
  `import { helper } from "./lib/helper.ts";\nexport async function runCommandLine(argv: string[], root: string) {\n  console.log(["${word}", helper(), ...argv, root.length > 0].join(" "));\n}\n`;

function launcherCopy(): {
  run: (...args: string[]) => string;
  write: (file: string, content: string, ageSeconds?: number) => void;
  path: (file: string) => string;
} {
  dir = mkdtempSync(path.join(tmpdir(), "workbook-launch-"));
  const checks = path.join(dir, "checks");
  mkdirSync(path.join(checks, "lib"), { recursive: true });
  symlinkSync(path.join(projectRoot, "node_modules"), path.join(dir, "node_modules"), "junction");
  copyFileSync(path.join(projectRoot, "checks/launch.mjs"), path.join(checks, "launch.mjs"));
  const write = (file: string, content: string, ageSeconds = 0) => {
    mkdirSync(path.dirname(path.join(checks, file)), { recursive: true });
    writeFileSync(path.join(checks, file), content);
    const when = new Date(Date.now() - ageSeconds * 1000);
    utimesSync(path.join(checks, file), when, when);
  };
  const run = (...args: string[]) =>
    execFileSync(process.execPath, [path.join(checks, "launch.mjs"), ...args], { encoding: "utf8" }).trim();
  return { run, write, path: (file) => path.join(checks, file) };
}

describe("checks/launch.mjs", () => {
  it("bundles the CLI on first use and runs it with plain Node, passing the arguments on", () => {
    const launcher = launcherCopy();
    launcher.write("cli.ts", cli("first"), 60);
    launcher.write("lib/helper.ts", 'export const helper = (): string => "helped";\n', 60);
    expect(launcher.run("progress", "--json")).toBe("first helped progress --json true");
  });

  it("rebuilds when a source file, even one imported, is newer than the bundle, and only then", () => {
    const launcher = launcherCopy();
    launcher.write("cli.ts", cli("first"), 60);
    launcher.write("lib/helper.ts", 'export const helper = (): string => "helped";\n', 60);
    expect(launcher.run("a")).toBe("first helped a true");
    // A change that does not touch the time is not seen: proof that the bundle is what runs.
    launcher.write("cli.ts", cli("unseen"), 60);
    expect(launcher.run("b")).toBe("first helped b true");
    launcher.write("lib/helper.ts", 'export const helper = (): string => "changed";\n');
    expect(launcher.run("c")).toBe("unseen changed c true");
  });

  it("does not rebuild for a newer file under checks/ that the CLI does not import", () => {
    const launcher = launcherCopy();
    launcher.write("cli.ts", cli("first"), 60);
    launcher.write("lib/helper.ts", 'export const helper = (): string => "helped";\n', 60);
    expect(launcher.run("a")).toBe("first helped a true");
    launcher.write("cli.ts", cli("unseen"), 60);
    launcher.write("authoring/mistakes/a-mistake.ts", "export const mistake = 1;\n");
    launcher.write("bench/run.ts", "export const bench = 1;\n");
    expect(launcher.run("b")).toBe("first helped b true");
  });

  it("rebuilds when a file the bundle was built from is gone", () => {
    const launcher = launcherCopy();
    launcher.write("cli.ts", cli("first"), 60);
    launcher.write("lib/helper.ts", 'export const helper = (): string => "helped";\n', 60);
    expect(launcher.run("a")).toBe("first helped a true");
    launcher.write("cli.ts", 'export async function runCommandLine() {\n  console.log("no helper");\n}\n', 60);
    rmSync(launcher.path("lib/helper.ts"));
    expect(launcher.run("b")).toBe("no helper");
  });
});
