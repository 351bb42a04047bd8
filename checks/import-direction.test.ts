import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// checks/README.md: trainer/, authoring/ and bench/ use learner/, never the reverse, so the
// learner's CLI never carries the trainer's code (or its imports) along. Tests may reach across:
// the learner's room client is tested against the trainer's room.

const checksDir = import.meta.dirname;
const learnerDir = path.join(checksDir, "learner");
const otherFolders = /^(?:trainer|authoring|bench)\//;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return /\.(ts|mjs)$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) ? [file] : [];
  });
}

describe("imports between the folders of checks/", () => {
  it("never go from learner/ to trainer/, authoring/ or bench/", () => {
    const crossing = sourceFiles(learnerDir).flatMap((file) => {
      const specifiers = [...readFileSync(file, "utf8").matchAll(/from\s+"([^"]+)"|import\("([^"]+)"\)/g)].map(
        (match) => match[1] ?? match[2]!,
      );
      const outside = specifiers.filter((specifier) => {
        const target = path.relative(checksDir, path.resolve(path.dirname(file), specifier));
        return specifier.startsWith(".") && otherFolders.test(target.split(path.sep).join("/"));
      });
      return outside.map((specifier) => `${path.relative(learnerDir, file)} imports ${specifier}`);
    });
    expect(crossing).toEqual([]);
  });
});
