import path from "node:path";

// A reference file copied into a lesson folder (npm run solve) moves away from its neighbours:
// its relative imports are rewritten to point at the same files from the new place. (`@/…`
// imports need nothing: they resolve to solutions/ from anywhere.)

const relativeSpecifier = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(\.\.?\/[^"']*)\2/g;

export function relocateImports(code: string, fromFile: string, toFile: string): string {
  const fromDir = path.posix.dirname(toPosix(fromFile));
  const toDir = path.posix.dirname(toPosix(toFile));
  if (fromDir === toDir) return code;
  return code.replace(relativeSpecifier, (_match, lead: string, quote: string, specifier: string) => {
    const moved = path.posix.relative(toDir, path.posix.join(fromDir, specifier));
    return `${lead}${quote}${moved.startsWith(".") ? moved : `./${moved}`}${quote}`;
  });
}

function toPosix(file: string): string {
  return file.replace(/\\/g, "/");
}
