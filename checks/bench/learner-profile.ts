import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { lessonFiles } from "../learner/check/check-lesson.ts";
import { typecheck } from "../learner/check/typecheck.ts";
import { type Phases, learnerPool, startTestHost } from "../learner/runner/run-tests.ts";
import { type Lesson, stubPath, testPaths } from "../learner/workbook/lessons.ts";
import { median } from "./stats.ts";

// Where a re-run's time goes, lesson by lesson: the learner's test host (as check and watch mode
// start it) and the type-check, side by side as a check runs them, after a save of the stub.
// The host reports vitest's phases summed over the lesson's test files, and the whole run as it
// saw it; the rest of the run is vitest's own work outside the test files (starting a worker,
// its runtime, the reports), and the rest of the tests' time is the supervisor and IPC.

export type LessonProfile = {
  lesson: string;
  /** From starting a host to the first result: vitest's start-up and a first, cold run. */
  firstRunMs: number;
  /** Medians over the re-runs after a save. */
  checkMs: number;
  testsMs: number;
  hostRunMs: number;
  phases: Phases;
  /** hostRunMs minus vitest's phases: workers, runtime, reports. */
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
        host.run(testPaths(lesson), { invalidate: [stub] }).then((result) => ({ result, ms: since() })),
        typecheck({ root, files: lessonFiles(lesson), incrementalKey: lesson.id }).then(since),
      ]);
      const phases = tests.result.profile?.phases ?? { environment: 0, prepare: 0, setup: 0, import: 0, tests: 0 };
      const hostRunMs = tests.result.profile?.runMs ?? 0;
      const inFiles = Object.values(phases).reduce((sum, ms) => sum + ms, 0);
      samples.push({
        checkMs: since(),
        testsMs: tests.ms,
        hostRunMs,
        phases,
        outsideFilesMs: hostRunMs - inFiles,
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
    outsideFilesMs: of((s) => s.outsideFilesMs),
    typecheckMs: of((s) => s.typecheckMs),
  };
}
