import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { distDirName, needsBuild, newestChange } from "./build-state";

// A fake app folder whose files get explicit modification times, so "newer" never depends on
// how fast the test runs.

let app: string;

function write(relative: string, seconds: number): void {
  const file = path.join(app, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, relative);
  utimesSync(file, seconds, seconds);
}

function age(relative: string, seconds: number): void {
  utimesSync(path.join(app, relative), seconds, seconds);
}

beforeEach(() => {
  app = mkdtempSync(path.join(tmpdir(), "workbook-build-state-"));
  write("app/api/health/route.ts", 1_000);
  write("lib/config.ts", 1_000);
  for (const dir of ["app/api/health", "app/api", "app", "lib"]) age(dir, 1_000);
});

afterEach(() => rmSync(app, { recursive: true, force: true }));

describe("newestChange", () => {
  it("is 0 for a path that does not exist", () => {
    expect(newestChange(path.join(app, "missing"))).toBe(0);
  });

  it("is the newest modification time of any file below a folder", () => {
    write("app/api/users/route.ts", 5_000);
    for (const dir of ["app/api/users", "app/api"]) age(dir, 1_000);
    expect(newestChange(path.join(app, "app"))).toBe(5_000_000);
  });

  it("ignores test files, which are not part of the build", () => {
    write("lib/config.test.ts", 9_000);
    age("lib", 1_000);
    expect(newestChange(path.join(app, "lib"))).toBe(1_000_000);
  });
});

describe("needsBuild", () => {
  it("is true when the dist folder holds no finished build", () => {
    expect(needsBuild(app, ".next-test")).toBe(true);
  });

  it("is false when the build is newer than every source", () => {
    write(".next-test/BUILD_ID", 2_000);
    expect(needsBuild(app, ".next-test")).toBe(false);
  });

  it.each([["app/api/health/route.ts"], ["lib/config.ts"]])("is true when %s changed after the build", (source) => {
    write(".next-test/BUILD_ID", 2_000);
    age(source, 3_000);
    expect(needsBuild(app, ".next-test")).toBe(true);
  });

  it("reads the BUILD_ID of the dist folder it is given, not another one", () => {
    write(".next/BUILD_ID", 2_000);
    expect(needsBuild(app, ".next-test")).toBe(true);
  });
});

describe("distDirName", () => {
  it.each([
    [{}, ".next"],
    [{ NEXT_DIST_DIR: ".next-e2e" }, ".next-e2e"],
  ])("for %j is %s", (env, expected) => {
    expect(distDirName(env)).toBe(expected);
  });
});
