import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../testing/fixture-workbook.ts";

// Every npm script must run the same for a learner or trainer on Windows as on Linux and macOS.
// npm runs a script with sh there and with cmd.exe on Windows, whether it was typed in cmd.exe or
// in PowerShell (npm's script-shell); so a script may only use what sh and cmd.exe both read the
// same way: a program and its arguments, double quotes, `&&` and `||` (the next command runs only
// if the last one succeeded, or failed), `|` and `>`. Anything else is done in code: a variable is
// set by the script that needs it, and a script that starts a server passes signals on to it
// (solutions/scripts/signals.ts).

interface Rule {
  what: string;
  pattern: RegExp;
  why: string;
}

/** Where a command starts: the script's start, or after `&&`, `||` or `|`. */
const start = String.raw`(?:^|&&|\|\||\|)\s*`;

const rules: Rule[] = [
  { what: "exec", pattern: new RegExp(`${start}exec\\s`), why: "cmd.exe has no exec: pass signals on in code" },
  {
    what: "a variable set before a command (VAR=value command)",
    pattern: new RegExp(`${start}[A-Za-z_][A-Za-z0-9_]*=`),
    why: "cmd.exe runs VAR=value as a command's name: set it in code",
  },
  { what: "$", pattern: /\$/, why: "cmd.exe expands neither $VAR nor $(…): read it in code" },
  { what: "%VAR%", pattern: /%[^%\s]+%/, why: "sh does not expand %VAR%: read it in code" },
  { what: "a backquote", pattern: /`/, why: "cmd.exe runs no command in backquotes" },
  { what: "a single quote", pattern: /'/, why: "cmd.exe passes single quotes on as part of the argument" },
  { what: "; between commands", pattern: /;/, why: "cmd.exe does not end a command at ;" },
  { what: "& alone", pattern: /(?:^|[^&])&(?:[^&]|$)/, why: "sh runs the command before it in the background" },
  { what: "a group or subshell", pattern: /[(){}]/, why: "( ) and { } group commands differently in each" },
  { what: "a backslash", pattern: /\\/, why: "an escape in sh, a folder separator in cmd.exe: / works in both" },
  { what: "a wildcard", pattern: /[*?[\]]/, why: "sh expands it, cmd.exe passes it on as it is" },
  { what: "~", pattern: /(?:^|\s)~/, why: "cmd.exe does not read ~ as the home folder" },
  { what: "/dev/null", pattern: /\/dev\/null/, why: "Windows has none" },
  {
    what: "a command given as ./path",
    pattern: new RegExp(`${start}\\.{1,2}/`),
    why: "cmd.exe reads the / of ./x as a switch: run node with the file",
  },
  {
    what: "a POSIX command",
    pattern: new RegExp(
      `${start}(?:rm|cp|mv|cat|mkdir|touch|chmod|ln|sed|grep|env|export|true|false|test|sleep|which)\\b`,
    ),
    why: "cmd.exe has none of them (or another of the same name): do it in code",
  },
  { what: "a line break", pattern: /[\r\n]/, why: "each shell continues lines its own way" },
];

/** What in a script would run differently, or not at all, under cmd.exe. */
function problems(script: string): string[] {
  return rules.filter((rule) => rule.pattern.test(script)).map((rule) => `${rule.what}: ${rule.why}`);
}

const scripts = Object.entries(
  (JSON.parse(readFileSync(path.join(projectRoot, "package.json"), "utf8")) as { scripts: Record<string, string> })
    .scripts,
);

describe("package.json's scripts", () => {
  it.each(scripts)("npm run %s runs the same under sh, cmd.exe and PowerShell: %s", (_, script) => {
    expect(problems(script)).toEqual([]);
  });
});

describe("what a script may not hold", () => {
  it.each([
    ["exec tsx checks/trainer/room/room.ts", "exec"],
    ["NEXT_TELEMETRY_DISABLED=1 next dev solutions", "a variable set before a command (VAR=value command)"],
    ["vitest run && CI=1 node x.mjs", "a variable set before a command (VAR=value command)"],
    ["next start --port $PORT", "$"],
    ["next start --port %PORT%", "%VAR%"],
    ["node -e `cat x`", "a backquote"],
    ["node x.mjs 'two words'", "a single quote"],
    ["tsx a.ts; tsx b.ts", "; between commands"],
    ["tsx a.ts & tsx b.ts", "& alone"],
    ["(cd solutions && next build)", "a group or subshell"],
    ["node checks\\launch.mjs", "a backslash"],
    ["biome check src/*.ts", "a wildcard"],
    ["node ~/x.mjs", "~"],
    ["vitest run > /dev/null", "/dev/null"],
    ["./node_modules/.bin/tsx x.ts", "a command given as ./path"],
    ["rm -rf .next && next build", "a POSIX command"],
    ["vitest run && cp a b", "a POSIX command"],
  ])("rejects %j: %s", (script, what) => {
    expect(problems(script).map((problem) => problem.split(":")[0])).toEqual([what]);
  });

  it.each([
    "node --import tsx checks/trainer/room/room.ts",
    "vitest run && node checks/launch.mjs verify",
    "tsx prisma/setup.ts && node checks/launch.mjs --build",
    'node checks/x.mjs "two words" || node checks/launch.mjs check',
    "biome check .",
    "node node_modules/typescript7/bin/tsc -p tsconfig.json",
  ])("allows %j", (script) => {
    expect(problems(script)).toEqual([]);
  });
});
