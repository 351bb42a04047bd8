import { z } from "zod";
import { type LessonState, emptyLessonState } from "./state-file.ts";

// Where a lesson stands, derived in one place from what the Workbook recorded, and used by every
// view: progress, report, watch mode, the status a trainer's room receives, the room's dashboard
// and its exports. Nothing else decides whether a lesson shows ✓, ◆, ◐ or ○, or how many tests
// it passes.

const statusNames = ["passed", "solved", "started", "not-started"] as const;
export type StatusName = (typeof statusNames)[number];

export const statusMarks: Record<StatusName, string> = {
  passed: "✓",
  solved: "◆",
  started: "◐",
  "not-started": "○",
};

const count = z.number().int().min(0).max(100_000);
/** A diagnosis's title is a few words; the room cuts a longer one sent by hand. */
const maxTitleLength = 80;
const isoTime = z.iso.datetime({ offset: true });

/** The fields of a status; lessonStatusSchema adds the rules that tie them together. */
export const lessonStatusFields = z.object({
  /** ✓ passed by the learner's own code, ◆ passing with the reference's code, ◐ worked on, ○ not yet. */
  status: z.enum(statusNames),
  /** The lesson's files hold the reference solution, however they got there. */
  solvedByCopy: z.boolean(),
  /** null while the lesson's tests were never run or counted. */
  passing: count.nullable(),
  total: count.nullable(),
  /** "checked": from a run; "counted": solved by copy, its tests counted and passed by the reference. */
  tests: z.enum(["checked", "counted", "not-checked"]),
  hintsUsed: count,
  /** From first working on the lesson to passing it (or to now); null before any work on it. */
  minutes: z.number().int().min(0).max(1_000_000).nullable(),
  /** The first failing test of the last check, while the lesson does not pass. */
  failingTest: z.string().nullable(),
  /**
   * The known mistake the last check's failure looked like, while the lesson does not pass: what a
   * trainer's room groups learners by. Absent in statuses from workbooks older than it: null.
   */
  diagnosis: z
    .object({
      mistake: z.string().regex(/^[a-z0-9][a-z0-9-]{0,79}$/, "must be a mistake's kebab-case name"),
      title: z.string().min(1).max(maxTitleLength),
    })
    .nullable()
    .default(null),
  startedAt: isoTime.nullable(),
  passedAt: isoTime.nullable(),
  lastChecked: isoTime.nullable(),
});

/** The rules a status keeps, whatever else travels with it. */
export function withStatusRules<T extends z.ZodType<z.infer<typeof lessonStatusFields>>>(schema: T) {
  return schema
    .refine((s) => (s.passing === null) === (s.total === null), { message: "passing and total are known together" })
    .refine((s) => s.passing === null || s.total === null || s.passing <= s.total, {
      message: "passing cannot exceed total",
      path: ["passing"],
    })
    .refine((s) => s.status !== "solved" || s.solvedByCopy, { message: "a solved lesson is solved by copy" });
}

const lessonStatusSchema = withStatusRules(lessonStatusFields);

export type LessonStatus = z.infer<typeof lessonStatusSchema>;

/** How a lesson stands given its recorded state (none: never touched), at `now`. */
export function deriveStatus(entry: LessonState | undefined, now: Date): LessonStatus {
  const e = entry ?? emptyLessonState();
  const known = e.testsTotal > 0;
  return {
    status: statusName(e),
    solvedByCopy: e.solved,
    total: known ? e.testsTotal : null,
    // A lesson that passes passes every one of its tests, whichever way its count was taken.
    passing: known ? (e.passed ? e.testsTotal : Math.min(e.testsPassing, e.testsTotal)) : null,
    tests: !known ? "not-checked" : e.testsCounted ? "counted" : "checked",
    hintsUsed: e.hintsUsed,
    minutes: e.startedAt ? minutesBetween(e.startedAt, e.passed && e.passedAt ? e.passedAt : now.toISOString()) : null,
    failingTest: e.passed ? null : (e.failingTest ?? null),
    diagnosis: e.passed || !e.diagnosis ? null : { mistake: e.diagnosis.mistake, title: e.diagnosis.title },
    startedAt: e.startedAt ?? null,
    passedAt: e.passed ? (e.passedAt ?? null) : null,
    lastChecked: e.checkedAt ?? null,
  };
}

function statusName(e: LessonState): StatusName {
  if (e.passed) return e.solved ? "solved" : "passed";
  // A lesson the workbook only opened (watch mode shows it on arrival) is not started: a save,
  // a check or a hint starts it. Older state files have no startedAt: their counts tell.
  return e.startedAt || e.hintsUsed > 0 || e.testsPassing > 0 ? "started" : "not-started";
}

/** Whole minutes from one ISO time to another; 0 when either is unreadable or they are reversed. */
function minutesBetween(from: string, to: string): number {
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 60_000) : 0;
}

/** Whether a status counts as done: passed by the learner or by the reference. */
export function isDone(status: Pick<LessonStatus, "status">): boolean {
  return status.status === "passed" || status.status === "solved";
}
