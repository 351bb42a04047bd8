import { readFileSync } from "node:fs";
import path from "node:path";
import { typecheck, type TypeDiagnostic } from "../learner/check/typecheck.ts";
import type { RunResult, TestHost } from "../learner/runner/run-tests.ts";
import { type Lesson, testPaths } from "../learner/workbook/lessons.ts";
import { type Mistake, firstFailureOf, judgeMistake } from "./mistake-catalogue.ts";
import { createPristineMirror } from "./pristine.ts";

// What verify proves of each lesson's mistake catalogue: every mistake type-checks at its stub's
// path, fails a test, and what a learner sees first (check's own rule) points at its cause.

export type CatalogueJob = { lesson: Lesson; mistake: Mistake };

/**
 * Serves each mistake in place of its stub (the lesson's other stubs as their references, as a
 * learner who finished them has them) and runs the lesson's tests: the hosts take the mistakes in
 * turn, each run invalidating what the last one served. All mistakes type-check in one tsc run,
 * each in a mirror of lessons/ where it stands at its stub's path.
 */
export async function runCatalogue(root: string, jobs: CatalogueJob[], hosts: TestHost[]) {
  const queue = [...jobs.keys()];
  const runs: RunResult[] = [];
  const typeErrors = typecheckMistakes(root, jobs);
  await Promise.all(
    hosts.map(async (host) => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const { lesson, mistake } = jobs[i]!;
        const pristine: Record<string, string> = {};
        for (const file of lesson.files) {
          const stub = `${lesson.dir}/${file.stub}`;
          pristine[stub] =
            stub === mistake.stubFile ? mistake.content : readFileSync(path.join(root, file.reference), "utf8");
        }
        runs[i] = await host.run(testsOf(root, lesson, mistake.stubFile), { pristine });
      }
    }),
  );
  const diagnostics = await typeErrors;
  return jobs.map((job, i) => ({
    ...job,
    verdict: judgeMistake(job.mistake, firstFailureOf(job.lesson, runs[i]!, diagnostics[i]!)),
  }));
}

/**
 * The lesson's test files that import this stub: only they can reach it (everything else a test
 * imports comes from solutions/), so the others would pass and only cost time.
 */
export function testsOf(root: string, lesson: Lesson, stubFile: string): string[] {
  const name = path.basename(stubFile, ".ts");
  const importsIt = new RegExp(`from\\s+["']\\./${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\.ts)?["']`);
  const tests = testPaths(lesson).filter((test) => importsIt.test(readFileSync(path.join(root, test), "utf8")));
  return tests.length > 0 ? tests : testPaths(lesson);
}

async function typecheckMistakes(root: string, jobs: CatalogueJob[]): Promise<TypeDiagnostic[][]> {
  const mirrors = jobs.map(({ mistake }) =>
    createPristineMirror(root, [{ file: mistake.stubFile, content: mistake.content }]),
  );
  try {
    const files = jobs.flatMap(({ lesson, mistake }, i) =>
      [mistake.stubFile, ...testPaths(lesson)].map((file) => `${mirrors[i]!.dir}/${file}`),
    );
    const all = await typecheck({ root, files });
    return mirrors.map((mirror) =>
      all
        .filter((d) => d.file.startsWith(`${mirror.dir}/`))
        .map((d) => ({ ...d, file: d.file.slice(mirror.dir.length + 1) })),
    );
  } finally {
    for (const mirror of mirrors) mirror.remove();
  }
}
