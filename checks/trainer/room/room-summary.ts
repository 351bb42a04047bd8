import type { LessonSummary } from "./room-lessons.ts";
import { type StuckSignal, stuckSignals } from "./room-signals.ts";
import type { PublicLearner } from "./room-store.ts";

// Why the room is stuck, for the trainer to act on: who is stuck and on which signal
// (room-signals.ts), the few stuck longest named; and the clusters, learners on their current
// lesson grouped by the mistake their failure was diagnosed as, else by their first failing test
// ("9 learners: allow while count < max (lesson 6)"), largest first. Only each learner's current
// lesson counts, and only once they have started on it and while they have not passed it: a
// lesson merely opened, or left behind, says nothing about where they are stuck. One pass over
// the room, no sort of everyone: a big room is summarised many times a second.

interface StuckLearner {
  id: string;
  name: string;
  lesson: string;
  failingTest?: string;
  /** The title of the mistake their failure was diagnosed as. */
  diagnosis?: string;
  /** When the learner started on the lesson, by the room's clock: minutes on it = now − this. */
  since: string;
  /** Why they count as stuck: at least one signal. */
  signals: readonly StuckSignal[];
}

interface Cluster {
  lesson: string;
  /** Grouped by the diagnosed mistake (its title is the label), or by the first failing test (its name). */
  by: "mistake" | "test";
  label: string;
  learners: number;
  /** The first learners in it (at most clusterIdsShown), for the page to name them. */
  ids: string[];
}

export interface RoomSummary {
  /** The few stuck longest, longest first. */
  stuck: StuckLearner[];
  /** Every learner with a stuck signal, the ones shown included. */
  stuckCount: number;
  /** Groups of two learners or more, largest first (at most clustersShown). */
  clusters: Cluster[];
}

/** What the summary reads of a learner. */
type SummarizedLearner = Pick<PublicLearner, "id" | "name" | "current" | "lessons">;
type Entry = SummarizedLearner["lessons"][string];

const stuckShown = 5;
const clustersShown = 8;
export const clusterIdsShown = 30;

/** The lessons as the summary needs them: hints (for the all-hints signal) and order (for ties). */
export interface LessonFacts {
  hints: ReadonlyMap<string, number>;
  place: ReadonlyMap<string, number>;
}

export function lessonFacts(lessons: readonly LessonSummary[]): LessonFacts {
  return {
    hints: new Map(lessons.map((lesson) => [lesson.id, lesson.hints])),
    place: new Map(lessons.map((lesson, i) => [lesson.id, i])),
  };
}

interface Stuck {
  learner: SummarizedLearner;
  lesson: string;
  entry: Entry;
  signals: readonly StuckSignal[];
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

/** A lesson's clusters, by the diagnosed mistake's name and by the failing test's: no key is built per learner. */
type LessonClusters = { mistakes: Map<string, Cluster>; tests: Map<string, Cluster> };

/** How many clusters, and learners named in each, a summary holds: the dashboard's few, or all for a download. */
interface SummaryLimits {
  clusters: number;
  ids: number;
}

const shownOnDashboard: SummaryLimits = { clusters: clustersShown, ids: clusterIdsShown };

/** Counts a learner in the cluster their failure puts them in: by the diagnosed mistake first. */
function addToCluster(
  clusters: Map<string, LessonClusters>,
  { lesson, learner, entry }: { lesson: string; learner: SummarizedLearner; entry: Entry },
  maxIds: number,
): void {
  const by = entry.diagnosis ? "mistake" : "test";
  const key = entry.diagnosis ? entry.diagnosis.mistake : entry.failingTest;
  if (!key) return;
  let lessonClusters = clusters.get(lesson);
  if (!lessonClusters) {
    lessonClusters = { mistakes: new Map(), tests: new Map() };
    clusters.set(lesson, lessonClusters);
  }
  const group = by === "mistake" ? lessonClusters.mistakes : lessonClusters.tests;
  let cluster = group.get(key);
  if (!cluster) {
    cluster = { lesson, by, label: entry.diagnosis?.title ?? key, learners: 0, ids: [] };
    group.set(key, cluster);
  }
  cluster.learners++;
  if (cluster.ids.length < maxIds) cluster.ids.push(learner.id);
}

/** Largest first; then by lesson, then label: the same room always lists them in the same order. */
function largestClusters(clusters: Map<string, LessonClusters>, facts: LessonFacts, limit: number): Cluster[] {
  const place = (lesson: string) => facts.place.get(lesson) ?? Number.MAX_SAFE_INTEGER;
  const all: Cluster[] = [];
  for (const { mistakes, tests } of clusters.values())
    for (const group of [mistakes, tests])
      for (const cluster of group.values()) if (cluster.learners >= 2) all.push(cluster);
  return all
    .sort(
      (a, b) =>
        b.learners - a.learners ||
        place(a.lesson) - place(b.lesson) ||
        (a.label < b.label ? -1 : a.label > b.label ? 1 : 0),
    )
    .slice(0, limit);
}

export function summarizeRoom(
  learners: Iterable<SummarizedLearner>,
  facts: LessonFacts,
  nowMs: number,
  limits = shownOnDashboard,
): RoomSummary {
  const stuck: Stuck[] = [];
  let stuckCount = 0;
  const clusters = new Map<string, LessonClusters>();
  // One pass: the room may hand over an iterator, and a big room is cheaper walked once.
  for (const learner of learners) {
    const lesson = learner.current;
    const entry = lesson ? learner.lessons[lesson] : undefined;
    if (!lesson || entry?.status !== "started") continue;
    addToCluster(clusters, { lesson, learner, entry }, limits.ids);
    const signals = stuckSignals(entry, facts.hints.get(lesson) ?? 0, nowMs);
    if (signals.length === 0) continue;
    stuckCount++;
    keepLongest(stuck, { learner, lesson, entry, signals, since: sinceMs(entry) });
  }
  const shown = stuck.map(({ learner, lesson, entry, signals, since }) => ({
    id: learner.id,
    name: learner.name,
    lesson,
    since: new Date(since).toISOString(),
    ...(entry.failingTest && { failingTest: entry.failingTest }),
    ...(entry.diagnosis && { diagnosis: entry.diagnosis.title }),
    signals,
  }));
  return { stuck: shown, stuckCount, clusters: largestClusters(clusters, facts, limits.clusters) };
}
