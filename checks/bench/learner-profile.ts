import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { lessonFiles } from "../learner/check/check-lesson.ts";
import { typecheck } from "../learner/check/typecheck.ts";
import { type Phases, learnerPool, startTestHost } from "../learner/runner/run-tests.ts";
import { type Lesson, stubPath, testPaths } from "../learner/workbook/lessons.ts";
import { median } from "./stats.ts";

// Where a re-run's time goes, lesson by lesson: the learner's test host (as check and watch mode
// start it) and the type-check, side by side as watch mode runs them, after a save of the stub
// (test files none of whose files changed keep their results, as in watch mode). The host
// reports vitest's phases of each test file it ran, and the whole run as it saw it. Files run
// side by side, one per core, so the phases are summed over the files (work done), and the run
// lasts at least as long as its longest file: the rest is vitest's own work outside the test
// files (workers, its runtime, the reports); the rest of the tests' time, the supervisor and IPC.

export type LessonProfile = {
  lesson: string;
  /** From starting a host to the first result: vitest's start-up and a first, cold run. */
  firstRunMs: number;
  /** Medians over the re-runs after a save. */
  checkMs: number;
  testsMs: number;
  hostRunMs: number;
  /** Summed over the test files run. */
  phases: Phases;
  /** Of the lesson's test files, how many were run (the others kept their results). */
  filesRun: number;
  filesTotal: number;
  /** The phases of the test file that took longest. */
  longestFileMs: number;
  /** hostRunMs minus the longest file: workers, runtime, reports. */
  outsideFilesMs: number;
  typecheckMs: number;
};

export async function profileLearnerRuns(
  root: string,
  lessons: Lesson[],
  runs: number,
  pauseMs: number,
): Promise<LessonProfile[]> {
  const profiles: LessonProfile[] = [];
  for (const lesson of lessons) profiles.push(await profileLesson(root, lesson, runs, pauseMs));
  return profiles;
}

async function profileLesson(root: string, lesson: Lesson, runs: number, pauseMs: number): Promise<LessonProfile> {
  const stub = path.join(root, stubPath(lesson, lesson.files[0]!));
  const original = readFileSync(stub);
  const started = performance.now();
  const host = startTestHost(root, "stub", { pool: learnerPool });
  const samples: Omit<LessonProfile, "lesson" | "firstRunMs">[] = [];
  try {
    await host.run(testPaths(lesson));
    const firstRunMs = Math.round(performance.now() - started);
    for (let i = 1; i <= runs; i += 1) {
      await sleep(pauseMs);
      writeFileSync(stub, Buffer.concat([original, Buffer.from(`\n// profile save ${i}\n`)]));
      const saved = performance.now();
      const since = () => Math.round(performance.now() - saved);
      const [tests, typecheckMs] = await Promise.all([
        host
          .run(testPaths(lesson), { invalidate: [stub], keepUnaffected: true })
          .then((result) => ({ result, ms: since() })),
        typecheck({ root, files: lessonFiles(lesson), incrementalKey: lesson.id }).then(since),
      ]);
      const phases = tests.result.profile?.phases ?? { environment: 0, prepare: 0, setup: 0, import: 0, tests: 0 };
      const hostRunMs = tests.result.profile?.runMs ?? 0;
      const inFile = (filePhases: Phases) => Object.values(filePhases).reduce((sum, ms) => sum + ms, 0);
      const files = tests.result.profile?.files ?? [];
      const longestFileMs = Math.max(0, ...files.map((file) => inFile(file.phases)));
      samples.push({
        checkMs: since(),
        testsMs: tests.ms,
        hostRunMs,
        phases,
        filesRun: files.length,
        filesTotal: lesson.tests.length,
        longestFileMs,
        outsideFilesMs: hostRunMs - longestFileMs,
        typecheckMs,
      });
    }
    return { lesson: lesson.id, firstRunMs, ...medians(samples) };
  } finally {
    host.close();
    writeFileSync(stub, original);
  }
}

function medians(
  samples: Omit<LessonProfile, "lesson" | "firstRunMs">[],
): Omit<LessonProfile, "lesson" | "firstRunMs"> {
  const of = (pick: (s: (typeof samples)[number]) => number) => Math.round(median(samples.map(pick)));
  return {
    checkMs: of((s) => s.checkMs),
    testsMs: of((s) => s.testsMs),
    hostRunMs: of((s) => s.hostRunMs),
    phases: {
      environment: of((s) => s.phases.environment),
      prepare: of((s) => s.phases.prepare),
      setup: of((s) => s.phases.setup),
      import: of((s) => s.phases.import),
      tests: of((s) => s.phases.tests),
    },
    filesRun: of((s) => s.filesRun),
    filesTotal: of((s) => s.filesTotal),
    longestFileMs: of((s) => s.longestFileMs),
    outsideFilesMs: of((s) => s.outsideFilesMs),
    typecheckMs: of((s) => s.typecheckMs),
  };
}
