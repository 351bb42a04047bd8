import type { StatusName } from "../../learner/workbook/lesson-status.ts";
import type { LessonSummary } from "./room-lessons.ts";
import type { NoteView } from "./room-notes.ts";
import type { PublicLearner } from "./room-store.ts";
import type { RoomSummary } from "./room-summary.ts";

// What the dashboard is sent: the room's settings, and per learner only what a cell shows (the
// status the learner's workbook derived, counts, hints, minutes, the failing test). Compact,
// because a room of 2,000 learners on their tenth lesson is 20,000 cells: each cell is a short
// array, cells follow the order of the lessons, and each failing test's name is sent once per
// message, in `tests`, cells naming it by its place there. The dashboard decodes it in one
// function (decodeLearner in public/dashboard.js). About 0.6 MB for such a room, sent once per
// dashboard; after it, only the learners that changed.

/** [status, passing, total, hints used, minutes, the failing test's place in `tests`]; null where unknown. */
type CellView = [
  status: StatusName,
  passing: number | null,
  total: number | null,
  hintsUsed: number,
  minutes: number | null,
  failingTest: number | null,
];

interface LearnerView {
  id: string;
  name: string;
  /** The learner's place in the order of joining: "Learner 7" when the page hides names. */
  number: number;
  /** The lesson the learner is on, as its place in `lessons`; null before their first status. */
  current: number | null;
  /** One per lesson, in the order of `lessons`; null for a lesson never reported. */
  cells: (CellView | null)[];
}

export interface RoomSettingsView {
  joinUrl: string | null;
  joining: boolean;
  learners: number;
  maxLearners: number;
}

export interface Snapshot {
  now: string;
  room: RoomSettingsView;
  lessons: LessonSummary[];
  tests: string[];
  learners: LearnerView[];
  summary: RoomSummary;
  notes: NoteView[];
}

/** Everything since the last changes: learners to show anew, learners gone, and what else moved. */
export interface Changes {
  now: string;
  tests: string[];
  learners: LearnerView[];
  removed: string[];
  room?: RoomSettingsView;
  summary?: RoomSummary;
  /** Every note, whenever one was sent or dismissed. */
  notes?: NoteView[];
}

/** Learners as the dashboard is sent them, with the table of the test names their cells name. */
export function learnerViews(
  learners: Iterable<PublicLearner>,
  lessons: readonly LessonSummary[],
): { tests: string[]; learners: LearnerView[] } {
  const tests: string[] = [];
  const places = new Map<string, number>();
  const place = (test: string | null) => {
    if (test === null) return null;
    let at = places.get(test);
    if (at === undefined) {
      at = tests.push(test) - 1;
      places.set(test, at);
    }
    return at;
  };
  const lessonPlaces = new Map(lessons.map(({ id }, i) => [id, i]));
  const views: LearnerView[] = [];
  for (const learner of learners) {
    const cells = lessons.map(({ id }): CellView | null => {
      const entry = learner.lessons[id];
      if (!entry) return null;
      return [entry.status, entry.passing, entry.total, entry.hintsUsed, entry.minutes, place(entry.failingTest)];
    });
    const current = learner.current === undefined ? null : (lessonPlaces.get(learner.current) ?? null);
    views.push({ id: learner.id, name: learner.name, number: learner.number ?? 0, current, cells });
  }
  return { tests, learners: views };
}
