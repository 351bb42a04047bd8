import type { LessonSummary } from "./room-server.ts";
import type { PublicLearner } from "./room-store.ts";

// The whole room as a download: JSON for tools, CSV for a spreadsheet. One CSV row per learner
// and lesson they have reported on.

export type LessonStatusName = "passed" | "solved" | "started" | "not-started";

export function lessonStatusName(
  entry: { passed: boolean; solved: boolean; passing: number; hintsUsed: number } | undefined,
): LessonStatusName {
  if (!entry) return "not-started";
  if (entry.solved) return "solved";
  if (entry.passed) return "passed";
  return entry.passing > 0 || entry.hintsUsed > 0 ? "started" : "not-started";
}

export function roomJson(learners: PublicLearner[], lessons: LessonSummary[], now: Date): string {
  const body = {
    generatedAt: now.toISOString(),
    lessons,
    learners: learners.map((learner) => ({
      name: learner.name,
      joinedAt: learner.joinedAt,
      lastSeen: learner.lastSeen,
      currentLesson: learner.current ?? null,
      lessons: Object.fromEntries(
        lessons.map(({ id }) => {
          const entry = learner.lessons[id];
          return [
            id,
            {
              status: lessonStatusName(entry),
              solvedByCopy: entry?.solved ?? false,
              passing: entry?.passing ?? 0,
              total: entry?.total ?? 0,
              hintsUsed: entry?.hintsUsed ?? 0,
              minutes: entry ? Math.round(entry.minutesOnLesson) : null,
              failingTest: entry?.failingTest ?? null,
              lastEvent: entry?.event ?? null,
              lastChecked: entry?.at ?? null,
            },
          ];
        }),
      ),
    })),
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

const csvHeader = [
  "learner",
  "lesson",
  "title",
  "status",
  "solved_by_copy",
  "passing",
  "total",
  "hints_used",
  "minutes",
  "failing_test",
  "last_event",
  "last_checked",
];

export function roomCsv(learners: PublicLearner[], lessons: LessonSummary[]): string {
  const rows = [csvHeader];
  for (const learner of learners) {
    for (const lesson of lessons) {
      const entry = learner.lessons[lesson.id];
      if (!entry) continue;
      rows.push([
        learner.name,
        lesson.id,
        lesson.title,
        lessonStatusName(entry),
        String(entry.solved),
        String(entry.passing),
        String(entry.total),
        String(entry.hintsUsed),
        String(Math.round(entry.minutesOnLesson)),
        entry.failingTest ?? "",
        entry.event,
        entry.at,
      ]);
    }
  }
  return `${rows.map((row) => row.map(csvCell).join(",")).join("\r\n")}\r\n`;
}

/** Quotes as RFC 4180 says, and defuses cells a spreadsheet would run as a formula. */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
