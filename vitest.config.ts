import path from "node:path";
import { defineConfig, type TestProjectInlineConfiguration } from "vitest/config";
import { useReferenceSolutions } from "./checks/authoring/reference-plugin.ts";

const root = import.meta.dirname;

// WORKBOOK_LESSON narrows the lessons projects to one lesson folder (used by `npm run mutation`).
const lessonGlob = `lessons/${process.env.WORKBOOK_LESSON ? `${process.env.WORKBOOK_LESSON}-*/` : "**/"}*.test.ts`;

const lessons = (name: string, plugins = [useReferenceSolutions(root)]): TestProjectInlineConfiguration => ({
  extends: true,
  plugins,
  test: { name, include: [lessonGlob] },
});

// `npm test` runs four projects: the reference API's own tests, every lesson's tests against the
// reference solution, the workbook CLI's tests, and the end-to-end test over real HTTP.
// `--mode stub` runs only the lessons, against the files in lessons/ (what a learner runs: the
// workbook's test host passes this mode when it loads this file); `--mode reference` runs only
// the lessons, against the reference solution, as does WORKBOOK_LESSON.
const everything: TestProjectInlineConfiguration[] = [
  {
    extends: true,
    test: {
      name: "solutions",
      include: ["solutions/**/*.test.ts", "prisma/**/*.test.ts"],
      exclude: ["solutions/e2e/**", "solutions/scale/**", "**/node_modules/**"],
    },
  },
  lessons("lessons"),
  { extends: true, test: { name: "checks", include: ["checks/**/*.test.ts"], testTimeout: 60_000 } },
  {
    extends: true,
    test: { name: "e2e", include: ["solutions/e2e/**/*.test.ts"], testTimeout: 240_000, hookTimeout: 240_000 },
  },
];

const byTarget: Record<string, TestProjectInlineConfiguration[]> = {
  stub: [lessons("lessons (your files)", [])],
  reference: [lessons("lessons")],
};
export default defineConfig(({ mode }) => {
  const projects = byTarget[process.env.WORKBOOK_LESSON ? "reference" : mode] ?? everything;
  return {
    resolve: { alias: [{ find: /^@\//, replacement: `${path.join(root, "solutions")}/` }] },
    test: {
      environment: "node",
      setupFiles: [path.join(root, "solutions/testing/setup.ts")],
      // The full run says once what it skips where redis-server is missing (a failure in CI).
      globalSetup: projects === everything ? [path.join(root, "solutions/testing/services-setup.ts")] : [],
      projects,
    },
  };
});
