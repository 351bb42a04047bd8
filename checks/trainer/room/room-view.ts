import type { LessonSummary } from "./room-lessons.ts";
import type { LessonEntry, PublicLearner } from "./room-store.ts";
import type { RoomSummary } from "./room-summary.ts";

// What the dashboard is sent: the room's settings, and per learner only what a cell shows (the
// status the learner's workbook derived, counts, hints, minutes, the failing test), with what is
// empty left out. A room of 2,000 learners is a snapshot of about a megabyte, sent once per
// dashboard; after it, only the learners that changed.

export interface RoomSettingsView {
  joinUrl: string | null;
  joining: boolean;
  learners: number;
  maxLearners: number;
}

export interface LessonView {
  status: LessonEntry["status"];
  passing?: number;
  total?: number;
  hintsUsed?: number;
  minutes?: number;
  failingTest?: string;
}

export interface LearnerView {
  id: string;
  name: string;
  current?: string;
  lessons: Record<string, LessonView>;
}

export interface Snapshot {
  now: string;
  room: RoomSettingsView;
  lessons: LessonSummary[];
  learners: LearnerView[];
  summary: RoomSummary;
}

/** Everything since the last changes: learners to show anew, learners gone, and what else moved. */
export interface Changes {
  now: string;
  learners: LearnerView[];
  removed: string[];
  room?: RoomSettingsView;
  summary?: RoomSummary;
}

export function learnerView(learner: PublicLearner): LearnerView {
  const lessons: Record<string, LessonView> = {};
  for (const [id, entry] of Object.entries(learner.lessons)) lessons[id] = lessonView(entry);
  return { id: learner.id, name: learner.name, ...(learner.current && { current: learner.current }), lessons };
}

function lessonView(entry: LessonEntry): LessonView {
  const view: LessonView = { status: entry.status };
  if (entry.passing !== null && entry.total !== null) {
    view.passing = entry.passing;
    view.total = entry.total;
  }
  if (entry.hintsUsed > 0) view.hintsUsed = entry.hintsUsed;
  if (entry.minutes !== null) view.minutes = entry.minutes;
  if (entry.failingTest) view.failingTest = entry.failingTest;
  return view;
}
