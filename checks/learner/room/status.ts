// What the workbook sends to a trainer's room after every verdict (counters and the name of the
// first failing test, never the learner's code): the Workbook's own status event, defined once.

export type { LessonStatusEvent, StatusListener } from "../workbook/workbook.ts";
import type { LessonStatusEvent } from "../workbook/workbook.ts";

export type StatusEventKind = LessonStatusEvent["event"];
