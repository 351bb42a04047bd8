import { readdirSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import type { Plugin } from "vite";

// Lets a lesson's tests run against the reference solution instead of the learner's stub: any
// import that resolves to a stub file is redirected to the reference file its manifest names.
// `npm test` uses it to test the reference; `npm run verify` to prove every lesson is solvable.

export function stubToReferenceMap(root: string): Map<string, string> {
  const lessonsDir = path.join(root, "lessons");
  const map = new Map<string, string>();
  if (!existsSync(lessonsDir)) return map;
  for (const entry of readdirSync(lessonsDir, { withFileTypes: true })) {
    const manifest = path.join(lessonsDir, entry.name, "lesson.json");
    if (!entry.isDirectory() || !existsSync(manifest)) continue;
    const { files } = JSON.parse(readFileSync(manifest, "utf8")) as { files: { stub: string; reference: string }[] };
    for (const file of files) {
      map.set(path.join(lessonsDir, entry.name, file.stub), path.join(root, file.reference));
    }
  }
  return map;
}

export function useReferenceSolutions(root: string): Plugin {
  const map = stubToReferenceMap(root);
  return {
    name: "workbook:use-reference-solutions",
    enforce: "pre",
    async resolveId(source, importer, options) {
      if (!importer || !source.startsWith(".")) return null;
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      const reference = resolved && map.get(resolved.id.replace(/\?.*$/, ""));
      return reference ?? null;
    },
  };
}
