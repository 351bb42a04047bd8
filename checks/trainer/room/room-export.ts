import { deriveStatus } from "../../learner/workbook/lesson-status.ts";
import type { LessonSummary } from "./room-lessons.ts";
import { stuckSignals } from "./room-signals.ts";
import type { LessonEntry, PublicLearner } from "./room-store.ts";
import { lessonFacts, summarizeRoom } from "./room-summary.ts";

// The whole room as a download: JSON for tools, CSV for a spreadsheet. Every status is the one the
// learner's workbook derived (the room computes none of its own); a lesson never reported is
// "not-started", as the workbook derives a lesson it never touched.

const neverReported = deriveStatus(undefined, new Date(0));

/** A learner's lesson as the exports show it. */
function exported(entry: LessonEntry | undefined) {
  const status = entry ?? neverReported;
  return {
    status: status.status,
    solvedByCopy: status.solvedByCopy,
    passing: status.passing,
    total: status.total,
    hintsUsed: status.hintsUsed,
    minutes: status.minutes,
    failingTest: status.failingTest,
    lastEvent: entry?.event ?? null,
    lastChecked: entry ? (status.lastChecked ?? entry.at) : null,
  };
}

/** Every cluster of the room, with every learner in it by name (the dashboard shows the largest few). */
function exportedClusters(learners: PublicLearner[], lessons: LessonSummary[], now: Date) {
  const names = new Map(learners.map((learner) => [learner.id, learner.name]));
  const all = { clusters: Number.POSITIVE_INFINITY, ids: Number.POSITIVE_INFINITY };
  return summarizeRoom(learners, lessonFacts(lessons), now.getTime(), all).clusters.map(({ ids, ...cluster }) => ({
    ...cluster,
    names: ids.map((id) => names.get(id)!),
  }));
}

export function roomJson(learners: PublicLearner[], lessons: LessonSummary[], now: Date): string {
  const hints = new Map(lessons.map((lesson) => [lesson.id, lesson.hints]));
  const stuck = (learner: PublicLearner) => {
    const entry = learner.current === undefined ? undefined : learner.lessons[learner.current];
    return entry ? stuckSignals(entry, hints.get(learner.current!) ?? 0, now.getTime()) : [];
  };
  const body = {
    generatedAt: now.toISOString(),
    lessons,
    clusters: exportedClusters(learners, lessons, now),
    learners: learners.map((learner) => ({
      name: learner.name,
      joinedAt: learner.joinedAt,
      lastSeen: learner.lastSeen,
      currentLesson: learner.current ?? null,
      stuck: stuck(learner),
      lessons: Object.fromEntries(lessons.map(({ id }) => [id, exported(learner.lessons[id])])),
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
  const text = (value: number | string | boolean | null) => (value === null ? "" : String(value));
  for (const learner of learners) {
    for (const lesson of lessons) {
      if (!learner.lessons[lesson.id]) continue;
      const e = exported(learner.lessons[lesson.id]);
      rows.push(
        [learner.name, lesson.id, lesson.title, e.status, e.solvedByCopy, e.passing, e.total, e.hintsUsed, e.minutes]
          .concat([e.failingTest, e.lastEvent, e.lastChecked])
          .map(text),
      );
    }
  }
  return `${rows.map((row) => row.map(csvCell).join(",")).join("\r\n")}\r\n`;
}

// A spreadsheet runs a cell as a formula when it starts with one of these. Where `;` separates
// cells (Excel in many European locales, LibreOffice), `a;=cmd…` is two cells, and a reader that
// splits lines naively makes a cell of whatever follows a `,` or a line break too: so every place
// a cell could start, skipping spaces and quotes, gets a `'` before such a character.
const formulaStart = /(^|[,;\r\n])([\s"]*)([=+\-@\t\r])/g;

/** Quotes as RFC 4180 says (also on `;`), and defuses every part a spreadsheet could run as a formula. */
export function csvCell(value: string): string {
  const safe = value.replace(formulaStart, "$1$2'$3");
  return /[",;\t\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
