// What the workbook sends to a trainer's room after every change (the lesson's derived status and
// the name of the first failing test, never the learner's code): the Workbook's own status event.

export type { LessonStatusEvent, StatusEventKind, StatusListener } from "../workbook/workbook.ts";
