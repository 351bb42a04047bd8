import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Stryker } from "@stryker-mutator/core";
import type { MutantResult } from "@stryker-mutator/api/core";
import { loadLessons, resolveLesson, type Lesson } from "../learner/workbook/lessons.ts";
import { UserError } from "../learner/cli/user-error.ts";

// `npm run mutation [lesson-N …]`: how strong is each lesson's test suite? Stryker mutates the
// reference file(s) behind the lesson's stubs and runs only that lesson's tests against each
// mutant; a mutant that no test notices is a mistake a learner could make and still pass.
// Slow by nature (minutes per lesson), so it is not part of `npm test`.

const TARGET_SCORE = 85;
const root = process.cwd();
const outDir = path.join(root, "reports", "mutation");

type Score = {
  lesson: string;
  pattern: string;
  killed: number;
  survived: number;
  noCoverage: number;
  timeout: number;
  score: number;
  survivors: string[];
};

const DETECTED = new Set(["Killed", "Timeout"]);

function summarize(lesson: Lesson, results: MutantResult[]): Score {
  const counted = results.filter(
    (r) => r.status !== "CompileError" && r.status !== "RuntimeError" && r.status !== "Ignored",
  );
  const count = (status: string) => counted.filter((r) => r.status === status).length;
  const detected = counted.filter((r) => DETECTED.has(r.status)).length;
  return {
    lesson: lesson.id,
    pattern: lesson.pattern,
    killed: count("Killed"),
    survived: count("Survived"),
    noCoverage: count("NoCoverage"),
    timeout: count("Timeout"),
    score: counted.length === 0 ? 100 : Math.round((1000 * detected) / counted.length) / 10,
    survivors: counted
      .filter((r) => !DETECTED.has(r.status))
      .map((r) => {
        const where = `${path.relative(root, r.fileName)}:${r.location.start.line + 1}`;
        return `${where} ${r.mutatorName}: ${r.replacement ?? ""}`.trim();
      }),
  };
}

async function mutate(lesson: Lesson): Promise<Score> {
  // The vitest config reads this: only this lesson's tests, run against the reference files.
  process.env.WORKBOOK_LESSON = lesson.id;
  const stryker = new Stryker({
    testRunner: "vitest",
    plugins: ["@stryker-mutator/vitest-runner"],
    vitest: { configFile: "vitest.config.ts", related: false },
    mutate: lesson.files.map((file) => file.reference),
    coverageAnalysis: "perTest",
    concurrency: 2,
    timeoutMS: 10_000,
    reporters: ["progress"],
    tempDirName: ".stryker-tmp",
    cleanTempDir: "always",
    ignorePatterns: ["/reports", "/.workbook", "/.bench", "/solutions/.next*", "/prisma/*.db*"],
  } as ConstructorParameters<typeof Stryker>[0]);
  return summarize(lesson, await stryker.runMutationTest());
}

function table(scores: Score[]): string {
  const cells = (s: Score) => [
    s.lesson,
    s.pattern,
    `${s.score.toFixed(1)}%`,
    s.killed + s.timeout,
    s.survived,
    s.noCoverage,
    s.score >= TARGET_SCORE ? "✓" : "✗",
  ];
  const rows = scores.map((s) => `| ${cells(s).join(" | ")} |`);
  return [
    "| lesson | pattern | score | killed | survived | no coverage | ≥ 85% |",
    "|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

const all = loadLessons(root).lessons;
let lessons: Lesson[];
try {
  lessons = process.argv.length > 2 ? process.argv.slice(2).map((name) => resolveLesson(all, name)) : all;
} catch (error) {
  if (!(error instanceof UserError)) throw error;
  console.error(error.message);
  process.exit(2);
}

const scores: Score[] = [];
for (const lesson of lessons) {
  console.log(`\n▶ ${lesson.id} (${lesson.pattern}): mutating ${lesson.files.map((f) => f.reference).join(", ")}`);
  scores.push(await mutate(lesson));
}

mkdirSync(outDir, { recursive: true });
writeFileSync(
  path.join(outDir, "scores.json"),
  `${JSON.stringify({ date: new Date().toISOString(), scores }, null, 2)}\n`,
);
console.log(`\n${table(scores)}\n`);
for (const s of scores.filter((s) => s.survivors.length > 0)) {
  console.log(`${s.lesson} survivors:\n${s.survivors.map((line) => `  ${line}`).join("\n")}`);
}
console.log(`\nWritten to ${path.relative(root, path.join(outDir, "scores.json"))}.`);
const below = scores.filter((s) => s.score < TARGET_SCORE);
if (below.length > 0) {
  console.log(
    `Next: add tests that kill the survivors in ${below.map((s) => s.lesson).join(", ")} (target ${TARGET_SCORE}%).`,
  );
  process.exit(1);
}
