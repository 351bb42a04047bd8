import type { PublicLearner } from "./room-store.ts";

// What the trainer looks for first: who has been stuck longest, and per lesson the test that
// fails for the most learners right now (where the room as a whole is stuck). Only each learner's
// current lesson counts, and only once they have started on it: a lesson a learner merely opened,
// or left behind, says nothing about where they are stuck.

export interface StuckLearner {
  id: string;
  name: string;
  lesson: string;
  failingTest?: string;
  /** When the learner started on the lesson, by the room's clock: minutes stuck = now − this. */
  since: string;
}

export interface MostFailed {
  test: string;
  /** Learners whose latest status on this lesson has this test as the first to fail. */
  learners: number;
  /** Learners on this lesson who have not passed it. */
  failing: number;
}

export interface RoomSummary {
  stuck: StuckLearner[];
  mostFailed: Record<string, MostFailed>;
}

const stuckShown = 5;

/** What the summary reads of a learner. */
type SummarizedLearner = Pick<PublicLearner, "id" | "name" | "current" | "lessons">;

interface Stuck {
  learner: SummarizedLearner;
  lesson: string;
  failingTest: string | null;
  /** When they started on the lesson, by the room's clock (ms). */
  since: number;
}

/** Each entry's start, read once: an entry is replaced, never changed, when a status arrives. */
const starts = new WeakMap<object, number>();

function sinceMs(entry: { receivedAt: string; minutes: number | null }): number {
  let since = starts.get(entry);
  if (since === undefined) {
    since = Date.parse(entry.receivedAt) - (entry.minutes ?? 0) * 60_000;
    starts.set(entry, since);
  }
  return since;
}

/** Longest stuck first; among equals, by name, so that the list does not flicker. */
function before(a: Stuck, b: Stuck): boolean {
  return a.since < b.since || (a.since === b.since && a.learner.name.localeCompare(b.learner.name) < 0);
}

/** Inserts `candidate` in order into the list of the `stuckShown` stuck longest, if it belongs there. */
function keepLongest(list: Stuck[], candidate: Stuck): void {
  if (list.length === stuckShown && !before(candidate, list[list.length - 1]!)) return;
  let at = list.length;
  while (at > 0 && before(candidate, list[at - 1]!)) at--;
  list.splice(at, 0, candidate);
  if (list.length > stuckShown) list.pop();
}

export function summarizeRoom(learners: Iterable<SummarizedLearner>): RoomSummary {
  // The few stuck longest, kept in order as the room is walked (a big room summarises many times
  // a second: no sort of everyone, no dates made but for those shown).
  const stuck: Stuck[] = [];
  const counts = new Map<string, { failing: number; tests: Map<string, number> }>();
  // One pass: the room may hand over an iterator, and a big room is cheaper walked once.
  for (const learner of learners) {
    const lesson = learner.current;
    const entry = lesson ? learner.lessons[lesson] : undefined;
    if (!lesson || entry?.status !== "started") continue;
    keepLongest(stuck, { learner, lesson, failingTest: entry.failingTest, since: sinceMs(entry) });
    const lessonCounts = counts.get(lesson) ?? { failing: 0, tests: new Map<string, number>() };
    counts.set(lesson, lessonCounts);
    lessonCounts.failing++;
    if (entry.failingTest)
      lessonCounts.tests.set(entry.failingTest, (lessonCounts.tests.get(entry.failingTest) ?? 0) + 1);
  }
  const mostFailed: Record<string, MostFailed> = {};
  for (const [lesson, { failing, tests }] of counts) {
    // Most learners first; among equals, the name in alphabetical order, so the page does not flicker.
    const [top] = [...tests].sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
    if (top) mostFailed[lesson] = { test: top[0], learners: top[1], failing };
  }
  const shown = stuck.map(({ learner, lesson, failingTest, since }) => ({
    id: learner.id,
    name: learner.name,
    lesson,
    since: new Date(since).toISOString(),
    ...(failingTest && { failingTest }),
  }));
  return { stuck: shown, mostFailed };
}
