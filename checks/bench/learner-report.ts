import type { LessonProfile } from "./learner-profile.ts";
import type { LearnerReport } from "./learner-loop.ts";
import { watchLimitMs } from "./learner-loop.ts";
import { type TargetResult, formatTable, judge } from "./report.ts";

// The learner loop's tables and targets, as `npm run bench` prints and judges them.

type Measured = Exclude<LearnerReport, { skipped: string }>;

/** First verdict after `npm start`, save → verdict, and ratios against vitest's own watch mode. */
const learnerLimits = {
  firstVerdictMs: 1500,
  watchToVitestWatch: 0.5,
  checkToVitest: 1.0,
  commandMs: 500,
};

export function learnerLines(learner: Measured, profile?: LessonProfile[]): string[] {
  const watch = "skipped" in learner.watch ? undefined : learner.watch;
  return [
    "Learner loop, through npm, against the stubs (a check exits 1 there, as it should); " +
      `medians of ${learner.runs} runs`,
    formatTable(
      ["command (no tests run)", "ms", "samples"],
      learner.commands.map((c) => [
        c.baseline ? c.command : `npm run ${c.command}`,
        c.medianMs,
        c.samplesMs.join(", "),
      ]),
    ),
    "",
    formatTable(
      ["lesson", "npm run check ms", "vitest alone ms", "ratio"],
      learner.lessons.map((l) => [l.lesson, l.checkMs, l.vitestMs, l.ratio]),
    ),
    "",
    watch
      ? formatTable(
          [
            "watch mode",
            "first verdict ms",
            `save → verdict ms, median of ${learner.saves}`,
            "vitest's own watch ms",
            "ratio",
            "samples",
            "vitest's own samples",
          ],
          watch.map((w) => [
            w.lesson,
            w.firstVerdictMs,
            w.medianMs,
            w.vitest.medianMs,
            w.ratio,
            w.samplesMs.join(", "),
            w.vitest.samplesMs.join(", "),
          ]),
        )
      : `Watch mode: skipped: ${(learner.watch as { skipped: string }).skipped}`,
    ...(watch ? [`(${learner.pauseMs} ms between a verdict and the next save, for both)`] : []),
    ...(profile ? ["", ...profileLines(profile)] : []),
  ];
}

function profileLines(profile: LessonProfile[]): string[] {
  return [
    "Where a re-run goes (--profile): the test host and the type-check side by side after a save; medians, ms;",
    "setup, import and tests run summed over the test files run (side by side, one per core)",
    formatTable(
      [
        "lesson",
        "first run",
        "check",
        "tests",
        "in the host",
        "setup",
        "import",
        "tests run",
        "files run",
        "longest file",
        "outside the files",
        "type-check",
      ],
      profile.map((p) => [
        p.lesson,
        p.firstRunMs,
        p.checkMs,
        p.testsMs,
        p.hostRunMs,
        p.phases.setup,
        p.phases.import,
        p.phases.tests,
        `${p.filesRun} of ${p.filesTotal}`,
        p.longestFileMs,
        p.outsideFilesMs,
        p.typecheckMs,
      ]),
    ),
  ];
}

export function learnerTargets(learner: Measured): TargetResult[] {
  const watch = "skipped" in learner.watch ? [] : learner.watch;
  return [
    ...watch.map((w) =>
      judge(`watch mode save → verdict, ${w.lesson}`, w.medianMs, "at most", watchLimitMs(w.lesson), "ms"),
    ),
    ...watch.map((w) =>
      judge(`watch mode / vitest's own watch, ${w.lesson}`, w.ratio, "at most", learnerLimits.watchToVitestWatch, "×"),
    ),
    ...watch
      .slice(0, 1)
      .map((w) =>
        judge(
          `first verdict after npm start (${w.lesson})`,
          w.firstVerdictMs,
          "at most",
          learnerLimits.firstVerdictMs,
          "ms",
        ),
      ),
    ...learner.commands
      .filter((c) => !c.baseline)
      .map((c) => judge(`npm run ${c.command}, wall time`, c.medianMs, "at most", learnerLimits.commandMs, "ms")),
    ...learner.lessons.map((l) =>
      judge(`npm run check / vitest, ${l.lesson}`, l.ratio, "at most", learnerLimits.checkToVitest, "×"),
    ),
  ];
}
