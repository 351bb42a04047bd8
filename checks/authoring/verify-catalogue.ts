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
/** Anything that stands in for a stub: a catalogued mistake, or a variant of one. */
type StandIn = Pick<Mistake, "stubFile" | "content">;

/** Every mistake run (see runStandIns) and judged: caught, and first where its entry says. */
export async function runCatalogue(root: string, jobs: CatalogueJob[], hosts: TestHost[]) {
  const runs = await runStandIns(root, jobs, hosts);
  return runs.map(({ run, typeErrors, ...job }) => ({
    ...job,
    run,
    verdict: judgeMistake(job.mistake, firstFailureOf(job.lesson, run, typeErrors)),
  }));
}

/**
 * Serves each mistake in place of its stub (the lesson's other stubs as their references, as a
 * learner who finished them has them) and runs the lesson's tests: the hosts take the mistakes in
 * turn, each run invalidating what the last one served. All mistakes type-check in one tsc run,
 * each in a mirror of lessons/ where it stands at its stub's path.
 */
export async function runStandIns<M extends StandIn>(
  root: string,
  jobs: { lesson: Lesson; mistake: M }[],
  hosts: TestHost[],
) {
  const typeErrors = typecheckMistakes(root, jobs);
  const [runs] = await rerunStandIns(root, jobs, hosts, 1);
  const diagnostics = await typeErrors;
  return jobs.map((job, i) => ({ ...job, run: runs![i]!, typeErrors: diagnostics[i]! }));
}

/**
 * Runs each stand-in's tests `times` times over (no type-check): runs[n][i] is job i's n-th run.
 * A mistake that races (a promise not awaited) can fail a test one time and not the next.
 */
export async function rerunStandIns(
  root: string,
  jobs: { lesson: Lesson; mistake: StandIn }[],
  hosts: TestHost[],
  times: number,
): Promise<RunResult[][]> {
  const queue = Array.from({ length: times }, (_, n) => [...jobs.keys()].map((i) => [n, i] as const)).flat();
  const runs: RunResult[][] = Array.from({ length: times }, () => []);
  await Promise.all(
    hosts.map(async (host) => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const [n, i] = next;
        const { lesson, mistake } = jobs[i]!;
        const pristine: Record<string, string> = {};
        for (const file of lesson.files) {
          const stub = `${lesson.dir}/${file.stub}`;
          pristine[stub] =
            stub === mistake.stubFile ? mistake.content : readFileSync(path.join(root, file.reference), "utf8");
        }
        runs[n]![i] = await host.run(testsOf(root, lesson, mistake.stubFile), { pristine });
      }
    }),
  );
  return runs;
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

async function typecheckMistakes(
  root: string,
  jobs: { lesson: Lesson; mistake: StandIn }[],
): Promise<TypeDiagnostic[][]> {
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
