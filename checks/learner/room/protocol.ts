import { z } from "zod";
import { lessonStatusFields, withStatusRules } from "../workbook/lesson-status.ts";
import type { LessonStatusEvent } from "./status.ts";

// The room's wire format, checked on arrival: everything a learner's machine sends is untrusted.

export const maxNameLength = 60;
const maxTestNameLength = 300;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control and direction characters are what it removes.
const unsafeCharacters = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]/g;
/** Characters that take no room and show nothing: soft hyphen, word joiner, byte order mark, tags, Hangul fillers… */
const invisibleCharacters = /\p{Default_Ignorable_Code_Point}/gu;
/** Shows as a blank, yet Unicode counts it a symbol: treated as a space. */
const blankSymbols = /\u2800/g;
const visibleCharacter = /[\p{L}\p{N}\p{P}\p{S}]/u;

/** Trims, folds runs of whitespace, drops control and invisible characters, so a name is one tidy line. */
export function cleanName(raw: string): string {
  return raw
    .normalize("NFC")
    .replace(unsafeCharacters, " ")
    .replace(blankSymbols, " ")
    .replace(invisibleCharacters, "")
    .replace(/\s+/g, " ")
    .trim();
}

/** Whether a cleaned name shows something: a letter, digit, punctuation or symbol, not only marks or blanks. */
export function showsSomething(name: string): boolean {
  return visibleCharacter.test(name);
}

/** What makes two names the same name in a room: case, width and compatibility forms set aside ("Ana", "ＡＮＡ"). */
export function nameKey(name: string): string {
  return cleanName(name).normalize("NFKC").toLowerCase();
}

const learnerNameSchema = z
  .string()
  .transform(cleanName)
  .pipe(
    z
      .string()
      .max(maxNameLength, `a name is at most ${maxNameLength} characters`)
      .refine(showsSomething, "must show at least one letter, digit or symbol"),
  );

export const joinRequestSchema = z.object({ name: learnerNameSchema });

export const joinResponseSchema = z.object({ id: z.string().min(1), secret: z.string().min(1), name: z.string() });

/** A status as the learner's workbook derived it (the Workbook's status event), checked on arrival. */
export const statusSchema = withStatusRules(
  lessonStatusFields.extend({
    event: z.enum(["check", "watch", "solve", "reset", "hint"]),
    lesson: z.string().regex(/^lesson-\d{1,4}$/, 'must look like "lesson-3"'),
    at: z.iso.datetime({ offset: true }),
    // Absent in statuses from workbooks older than it: unknown.
    savedAt: z.iso.datetime({ offset: true }).nullable().default(null),
  }),
).transform((status) => ({
  ...status,
  failingTest: status.failingTest === null ? null : cleanName(status.failingTest).slice(0, maxTestNameLength) || null,
  diagnosis: cleanDiagnosis(status.diagnosis),
}));

/** A diagnosis's title made one tidy line, as a name is; one left with no title is no diagnosis. */
function cleanDiagnosis(diagnosis: StatusDiagnosis): StatusDiagnosis {
  const title = diagnosis && cleanName(diagnosis.title);
  return diagnosis && title ? { mistake: diagnosis.mistake, title } : null;
}

type StatusDiagnosis = z.infer<typeof lessonStatusFields>["diagnosis"];

export type StatusPayload = z.infer<typeof statusSchema>;

// The schema and the shape the workbook emits must stay one and the same.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameShape: Same<StatusPayload, LessonStatusEvent> = true;
void sameShape;

export const renameRequestSchema = z.object({ name: learnerNameSchema });

/** A note from the trainer is a short line of text: a tweet's length. */
const maxNoteLength = 280;

/** A note's text as the room keeps and sends it: one tidy line, as a name is, never markup or escapes. */
export const noteTextSchema = z
  .string()
  .transform(cleanName)
  .pipe(
    z
      .string()
      .refine(showsSomething, "a note needs some text")
      .refine((text) => text.length <= maxNoteLength, `a note is at most ${maxNoteLength} characters`),
  );

/** A note as a learner's workbook receives it: only the notes for this learner not dismissed yet. */
export const learnerNoteSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  // Cleaned again: the learner's terminal trusts no room, whatever address answers.
  text: z.string().transform((text) => cleanName(text).slice(0, maxNoteLength)),
  sentAt: z.string(),
  /** Sent to the whole room rather than to this learner alone. */
  toRoom: z.boolean(),
});

export type LearnerNote = z.infer<typeof learnerNoteSchema>;

export const learnerNotesSchema = z.object({ notes: z.array(learnerNoteSchema).max(100) });

/** One line for a 400: the first problem, with the field it is about. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "the body is not valid";
  return issue.path.length ? `"${issue.path.join(".")}" ${issue.message}` : issue.message;
}
