import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { installHint, missingExecutables, servicesRequired } from "./requires.ts";

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

function binDir(files: Record<string, number>): string {
  dir = mkdtempSync(path.join(tmpdir(), "workbook-bin-"));
  for (const [name, mode] of Object.entries(files)) {
    writeFileSync(path.join(dir, name), "#!/bin/sh\n");
    chmodSync(path.join(dir, name), mode);
  }
  return dir;
}

describe("missingExecutables", () => {
  it("finds an executable in any PATH entry", () => {
    const bin = binDir({ "redis-server": 0o755 });
    expect(missingExecutables(["redis-server"], { PATH: ["/nonexistent", bin].join(path.delimiter) })).toEqual([]);
  });

  it.each([
    ["not on PATH", {}, "/nonexistent"],
    ["there but not executable", { "redis-server": 0o644 }, undefined],
  ])("reports a program %s", (_, files, PATH) => {
    const bin = binDir(files);
    expect(missingExecutables(["redis-server"], { PATH: PATH ?? bin })).toEqual(["redis-server"]);
  });

  it("reports everything when PATH is unset", () => {
    expect(missingExecutables(["a", "b"], {})).toEqual(["a", "b"]);
  });
});

describe("installHint", () => {
  it("says how to install redis-server on Debian/Ubuntu and macOS", () => {
    expect(installHint("redis-server")).toBe(
      "sudo apt-get install redis-server (Debian/Ubuntu) or brew install redis (macOS)",
    );
  });

  it("falls back to a generic sentence for other programs", () => {
    expect(installHint("psql")).toBe("install psql so that it is on PATH");
  });
});

describe("servicesRequired", () => {
  it.each([
    ["1", true],
    ["true", true],
    ["0", false],
    [undefined, false],
  ])("is %s → %s", (value, expected) => {
    expect(servicesRequired({ WORKBOOK_REQUIRE_SERVICES: value })).toBe(expected);
  });
});
