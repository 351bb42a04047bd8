import path from "node:path";
import type { Plugin } from "vite";

// Lets a lesson's tests run against the reference solution instead of the learner's stub: any
// import that resolves to a stub file is redirected to the reference file its manifest names.
// `npm test` uses it to test the reference; `npm run verify` to prove every lesson is solvable.

async function stubToReferenceMap(root: string): Promise<Map<string, string>> {
  // Loaded on first use: a learner's check (stub mode) never builds this map.
  const { loadLessons, stubPath } = await import("../learner/workbook/lessons.ts");
  const map = new Map<string, string>();
  for (const lesson of loadLessons(root).lessons) {
    for (const file of lesson.files) map.set(path.join(root, stubPath(lesson, file)), path.join(root, file.reference));
  }
  return map;
}

export function useReferenceSolutions(root: string): Plugin {
  let map: Promise<Map<string, string>> | undefined;
  return {
    name: "workbook:use-reference-solutions",
    enforce: "pre",
    async resolveId(source, importer, options) {
      if (!importer || !source.startsWith(".")) return null;
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      if (!resolved) return null;
      return (await (map ??= stubToReferenceMap(root))).get(resolved.id.replace(/\?.*$/, "")) ?? null;
    },
  };
}
