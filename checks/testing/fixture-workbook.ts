import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { type Io, main } from "../cli.ts";
import type { Env } from "../learner/cli/env.ts";

// A throwaway workbook for the CLI's tests: two tiny lessons with a vitest config shaped like the
// project's (a stub target and a reference target), the project's node_modules linked in, and a
// git commit holding the pristine stubs. Small enough that a check runs in about a second.

export const projectRoot = path.resolve(fileURLToPath(new URL("../..", import.meta.url)));

export interface FixtureLesson {
  folder: string;
  manifest: Record<string, unknown>;
  files: Record<string, string>;
}

export const adderLesson: FixtureLesson = {
  folder: "lesson-1-adder",
  manifest: {
    id: "lesson-1",
    pattern: "adder",
    title: "Adding two numbers",
    minutes: 5,
    files: [{ stub: "adder.ts", reference: "solutions/adder.ts" }],
    tests: ["adder.test.ts"],
  },
  files: {
    "adder.ts": [
      'import { notImplemented } from "../not-implemented";',
      "",
      "export function add(a: number, b: number): number {",
      '  return notImplemented("lesson-1", "add");',
      "}",
      "",
    ].join("\n"),
    "adder.test.ts": [
      'import { describe, expect, it } from "vitest";',
      'import { add } from "./adder";',
      "",
      'describe("add", () => {',
      '  it("adds two numbers", () => {',
      "    expect(add(2, 3)).toBe(5);",
      "  });",
      '  it("adds a negative number", () => {',
      "    expect(add(2, -3)).toBe(-1);",
      "  });",
      "});",
      "",
    ].join("\n"),
    "README.md": "# Lesson 1: adder\n\n## Hints\n\n1. Use the plus sign.\n2. Return `a + b`.\n3. return a + b;\n",
  },
};

export const limiterLesson: FixtureLesson = {
  folder: "lesson-2-rate-limiter",
  manifest: {
    id: "lesson-2",
    pattern: "rate limiter",
    title: "Saying no politely",
    minutes: 5,
    files: [{ stub: "limiter.ts", reference: "solutions/limiter.ts" }],
    tests: ["limiter.test.ts"],
  },
  files: {
    "limiter.ts": [
      'import { notImplemented } from "../not-implemented";',
      "",
      "export function allow(used: number, max: number): boolean {",
      '  return notImplemented("lesson-2", "allow");',
      "}",
      "",
    ].join("\n"),
    "limiter.test.ts": [
      'import { expect, it } from "vitest";',
      'import { allow } from "./limiter";',
      "",
      'it("allows a request under the limit", () => {',
      "  expect(allow(1, 2)).toBe(true);",
      "});",
      'it("refuses a request at the limit", () => {',
      "  expect(allow(2, 2)).toBe(false);",
      "});",
      "",
    ].join("\n"),
    "README.md":
      "# Lesson 2: rate limiter\n\n## Hints\n\n- Compare.\n- Used against **max**.\n- `return used < max;`\n",
  },
};

/** A lesson like the adder, under another number and name, for workbooks with more lessons. */
export function fixtureLesson(number: number, pattern: string): FixtureLesson {
  const folder = `lesson-${number}-${pattern.replace(/ /g, "-")}`;
  const files = Object.fromEntries(
    Object.entries(adderLesson.files).map(([file, content]) => [
      file,
      content.replaceAll('"lesson-1"', `"lesson-${number}"`),
    ]),
  );
  return { folder, manifest: { ...adderLesson.manifest, id: `lesson-${number}`, pattern }, files };
}

export const references: Record<string, string> = {
  "solutions/adder.ts": "export function add(a: number, b: number): number {\n  return a + b;\n}\n",
  "solutions/limiter.ts": "export function allow(used: number, max: number): boolean {\n  return used < max;\n}\n",
};

const vitestConfig = (referencePlugin: string) => `import { defineConfig } from "vitest/config";
import { useReferenceSolutions } from ${JSON.stringify(referencePlugin)};

const root = import.meta.dirname;
const lessons = (name: string, plugins = [useReferenceSolutions(root)]) => ({ extends: true, plugins, test: { name, include: ["lessons/**/*.test.ts"] } });

export default defineConfig(({ mode }) => ({
  test: {
    projects: mode === "stub" ? [lessons("lessons (your files)", [])] : [{ extends: true, test: { name: "other", include: ["other/**/*.test.ts"] } }, lessons("lessons")],
  },
}));
`;

const tsconfig = {
  compilerOptions: {
    target: "ES2022",
    lib: ["ES2023"],
    module: "esnext",
    moduleResolution: "bundler",
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    isolatedModules: true,
    allowImportingTsExtensions: true,
    types: ["node"],
  },
  include: ["lessons", "solutions"],
};

export interface RunOutput {
  code: number;
  stdout: string;
  stderr: string;
}

export interface FixtureWorkbook {
  root: string;
  path(file: string): string;
  read(file: string): string;
  write(file: string, content: string): void;
  exists(file: string): boolean;
  git(...args: string[]): string;
  /** Runs the CLI in-process on this workbook, stdin not a terminal unless asked. */
  run(argv: string[], io?: Partial<Io>): Promise<RunOutput>;
  remove(): void;
}

export function createFixtureWorkbook(
  lessons: FixtureLesson[] = [adderLesson, limiterLesson],
  options: { git?: boolean } = {},
): FixtureWorkbook {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), "workbook-fixture-")));
  const write = (file: string, content: string) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  };
  write("package.json", JSON.stringify({ name: "fixture-workbook", private: true, type: "module" }));
  write("tsconfig.json", JSON.stringify(tsconfig));
  write("vitest.config.ts", vitestConfig(path.join(projectRoot, "checks/authoring/reference-plugin.ts")));
  write(".gitignore", ".workbook/\nnode_modules\n");
  symlinkSync(path.join(projectRoot, "node_modules"), path.join(root, "node_modules"), "junction");
  mkdirSync(path.join(root, "lessons"), { recursive: true });
  copyFileSync(path.join(projectRoot, "lessons/not-implemented.ts"), path.join(root, "lessons/not-implemented.ts"));
  for (const [file, content] of Object.entries(references)) write(file, content);
  for (const lesson of lessons) {
    write(`lessons/${lesson.folder}/lesson.json`, JSON.stringify(lesson.manifest, null, 2));
    for (const [file, content] of Object.entries(lesson.files)) write(`lessons/${lesson.folder}/${file}`, content);
  }
  const git = (...args: string[]) =>
    execFileSync(
      "git",
      ["-c", "user.name=Ada Learner", "-c", "user.email=ada@example.com", "-c", "commit.gpgsign=false", ...args],
      {
        cwd: root,
        stdio: ["ignore", "pipe", "pipe"],
      },
    ).toString();
  if (options.git !== false) {
    git("init", "-q");
    git("add", ".");
    git("commit", "-q", "-m", "fixture");
  }
  return {
    root,
    path: (file) => path.join(root, file),
    read: (file) => readFileSync(path.join(root, file), "utf8"),
    write,
    exists: (file) => existsSync(path.join(root, file)),
    git,
    run: (argv, io = {}) => runCli(root, argv, io),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** The environment of the test process without npm's and color settings, which would change what the CLI prints. */
export function cleanEnv(extra: Env = {}): Env {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(npm_|FORCE_COLOR$|NO_COLOR$|WORKBOOK_)/i.test(key)),
  );
  return { ...env, ...extra };
}

export async function runCli(root: string, argv: string[], io: Partial<Io> = {}): Promise<RunOutput> {
  const stdout = capture(io.stdout?.isTTY);
  const stderr = capture(false);
  const stdin = Object.assign(new PassThrough(), { isTTY: false });
  const code = await main(argv, { root, stdout, stderr, stdin, env: cleanEnv(), ...io, ...(io.stdout && { stdout }) });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

export function capture(isTTY = false): { write(chunk: string): boolean; isTTY: boolean; text(): string } {
  let text = "";
  return {
    isTTY,
    write(chunk: string) {
      text += chunk;
      return true;
    },
    text: () => text,
  };
}
