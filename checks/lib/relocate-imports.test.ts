import { describe, expect, it } from "vitest";
import { relocateImports } from "./relocate-imports.ts";

describe("relocateImports", () => {
  const from = "solutions/lib/auth.ts";
  const to = "lessons/lesson-5-auth/auth.ts";

  it.each([
    ['import { apiError } from "./errors";', 'import { apiError } from "../../solutions/lib/errors";'],
    ["import type { Role } from '../schemas/user';", "import type { Role } from '../../solutions/schemas/user';"],
    ['export { config } from "./config";', 'export { config } from "../../solutions/lib/config";'],
    ['const m = await import("./cache");', 'const m = await import("../../solutions/lib/cache");'],
    ['import "./side-effect";', 'import "../../solutions/lib/side-effect";'],
  ])("rewrites %s", (code, expected) => {
    expect(relocateImports(code, from, to)).toBe(expected);
  });

  it.each([['import { z } from "zod";'], ['import { apiError } from "@/lib/errors";'], ['const path = "./not-an-import";']])("leaves %s alone", (code) => {
    expect(relocateImports(code, from, to)).toBe(code);
  });

  it("changes nothing when the file stays in its folder", () => {
    expect(relocateImports('import { a } from "./a";', "x/one.ts", "x/two.ts")).toBe('import { a } from "./a";');
  });
});
