import type { ChalkInstance } from "chalk";
import type { LearnerNote } from "../room/protocol.ts";
import { visible } from "./text.ts";

// The trainer's notes, as watch mode shows them above its footer and npm run check after its
// verdict. The room sends text only, already one tidy line; it is shown through visible() all the
// same, since a learner's terminal trusts no address that answers as a room.

export function trainerNoteLines(notes: readonly LearnerNote[], c: ChalkInstance): string[] {
  return notes.map((note) => {
    const from = note.toRoom ? "From the trainer, to everyone:" : "From the trainer:";
    return `${c.bold.cyan(`✉ ${from}`)} ${visible(note.text)}`;
  });
}

/** After npm run check's verdict: the notes, and how to put them away. */
export function checkNoteLines(notes: readonly LearnerNote[], c: ChalkInstance): string[] {
  if (notes.length === 0) return [];
  const them = notes.length === 1 ? "it" : "them";
  return ["", ...trainerNoteLines(notes, c), c.dim(`Read ${them}? Press d in npm start to dismiss ${them}.`)];
}
