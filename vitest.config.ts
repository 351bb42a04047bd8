import path from "node:path";
import { defineConfig, type TestProjectInlineConfiguration } from "vitest/config";
import { useReferenceSolutions } from "./checks/lib/reference-plugin.ts";

const root = import.meta.dirname;

const lessons = (name: string, plugins = [useReferenceSolutions(root)]): TestProjectInlineConfiguration => ({
  extends: true,
  plugins,
  test: { name, include: ["lessons/**/*.test.ts"] },
});

// `npm test` runs four projects: the reference API's own tests, every lesson's tests against the
// reference solution, the workbook CLI's tests, and the end-to-end test over real HTTP.
// WORKBOOK_TARGET=stub runs only the lessons, against the files in lessons/ (what a learner runs).
const projects: TestProjectInlineConfiguration[] =
  process.env.WORKBOOK_TARGET === "stub"
    ? [lessons("lessons (your files)", [])]
    : [
        {
          extends: true,
          test: { name: "solutions", include: ["solutions/**/*.test.ts"], exclude: ["solutions/e2e/**", "**/node_modules/**"] },
        },
        lessons("lessons"),
        { extends: true, test: { name: "checks", include: ["checks/**/*.test.ts"], testTimeout: 60_000 } },
        {
          extends: true,
          test: { name: "e2e", include: ["solutions/e2e/**/*.test.ts"], testTimeout: 240_000, hookTimeout: 240_000 },
        },
      ];

export default defineConfig({
  resolve: { alias: [{ find: /^@\//, replacement: `${path.join(root, "solutions")}/` }] },
  test: {
    environment: "node",
    setupFiles: [path.join(root, "solutions/testing/setup.ts")],
    projects,
  },
});
