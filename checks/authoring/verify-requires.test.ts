import { afterEach, describe, expect, it } from "vitest";
import {
  adderLesson,
  cleanEnv,
  createFixtureWorkbook,
  type FixtureLesson,
  type FixtureWorkbook,
} from "../testing/fixture-workbook.ts";

// A lesson that needs a program (lesson.json "requires") is verified where the program is
// installed, skipped with one line where it is not, and a failure there under
// WORKBOOK_REQUIRE_SERVICES=1, so CI never skips it silently.

let workbook: FixtureWorkbook;
afterEach(() => workbook?.remove());

const needing = (program: string): FixtureLesson => ({
  ...adderLesson,
  manifest: { ...adderLesson.manifest, requires: [program] },
});

describe("npm run verify with a lesson that requires a program", () => {
  it("verifies the lesson when the program is on PATH", async () => {
    workbook = createFixtureWorkbook([needing("node")]);
    const { code, stdout, stderr } = await workbook.run(["verify"]);
    expect([code, stderr]).toEqual([0, ""]);
    expect(stdout).toContain("✓ lesson-1 adder: 2 tests fail on the stub and pass on the reference");
  });

  it("skips it with one line saying what is missing and how to install it", async () => {
    workbook = createFixtureWorkbook([needing("redis-server")]);
    const { code, stdout, stderr } = await workbook.run(["verify"], { env: cleanEnv({ PATH: "/nonexistent" }) });
    expect(code).toBe(0);
    expect(stderr).toBe(
      "Warning: skipped lesson-1 adder needs redis-server, which is not installed: sudo apt-get install redis-server (Debian/Ubuntu) or brew install redis (macOS), then npm run verify\n",
    );
    expect(stdout).toBe("0 passed, 0 failed\n");
  });

  it("lists the skipped lesson in --json", async () => {
    workbook = createFixtureWorkbook([needing("workbook-no-such-program")]);
    const { stdout } = await workbook.run(["verify", "--json"], { env: cleanEnv({ PATH: "/nonexistent" }) });
    expect(JSON.parse(stdout)).toMatchObject({
      lessons: [],
      passed: 0,
      failed: 0,
      skipped: [
        "lesson-1 adder needs workbook-no-such-program, which is not installed: install workbook-no-such-program so that it is on PATH, then npm run verify",
      ],
    });
  });

  it("fails instead under WORKBOOK_REQUIRE_SERVICES=1", async () => {
    workbook = createFixtureWorkbook([needing("redis-server")]);
    const { code, stdout } = await workbook.run(["verify"], {
      env: cleanEnv({ PATH: "/nonexistent", WORKBOOK_REQUIRE_SERVICES: "1" }),
    });
    expect(code).toBe(1);
    expect(stdout).toContain("✗ lesson-1 adder\n    lesson-1 adder needs redis-server, which is not installed:");
    expect(stdout).toContain("(WORKBOOK_REQUIRE_SERVICES is set)");
    expect(stdout.trimEnd().split("\n").pop()).toBe("0 passed, 1 failed");
  });
});
