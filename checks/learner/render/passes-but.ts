import type { ChalkInstance } from "chalk";
import type { CredentialFormat, PassNote, PassRule } from "../check/passes-but.ts";
import { plural, visible } from "./text.ts";

// "Passes, but…": the notes on a passing lesson, under its verdict. One or two lines at most, so
// that the success stays the news; `npm run check -- --json` carries every note. Each says what
// was found, why it matters and what to do, in plain words.

const shown = 2;

const credentials: Record<CredentialFormat, string> = {
  jwt: "a signed token (JWT)",
  "private-key": "a private key",
  "aws-access-key": "an AWS access key",
  "github-token": "a GitHub token",
  "stripe-key": "a Stripe secret key",
};

const fromTheEnvironment = "anyone who can read the code can use it. Read it from the environment instead.";

function secretMessage(note: Extract<PassNote, { rule: "secret-in-code" }>): string {
  if ("format" in note) return `${credentials[note.format]} is written in the code: ${fromTheEnvironment}`;
  const which = "name" in note ? `the value of ${note.name}` : `a fallback for process.env.${note.fallbackFor}`;
  return `a secret is written in the code (${which}): ${fromTheEnvironment}`;
}

/** A note in words, without its location. Names from the learner's code are shown through visible(). */
export function passNoteMessage(note: PassNote): string {
  switch (note.rule) {
    case "floating-promise":
      return (
        `the promise from ${visible(note.call)} is neither awaited nor returned: the code after it does not ` +
        "wait for it, and nothing catches its error. Put await before it (or return it)."
      );
    case "dropped-error": {
      const by = note.by === "catch-block" ? "an empty catch block" : "a .catch() that does nothing with it";
      return (
        `an error is caught and dropped by ${by}: nothing logs it or passes it on. ` +
        "Rethrow it, log it, or say in a comment why it is safe to ignore."
      );
    }
    case "secret-in-code":
      return visible(secretMessage(note));
    case "any-in-signature":
      return (
        `any in the signature of ${visible(note.signature ?? "a function")}: what goes in or comes out there ` +
        "is not type-checked, so a wrong call compiles. Name the type (or use unknown and narrow it)."
      );
    case "debugger":
      return "a debugger statement is left in: it pauses the server wherever a debugger is attached. Remove it.";
    case "console-log":
      return (
        `console.${visible(note.method)} is left in: it prints on every call, in production too. ` +
        "Remove it once you are done debugging."
      );
  }
}

export function passesButLines(notes: readonly PassNote[], c: ChalkInstance): string[] {
  if (notes.length === 0) return [];
  const lines = [c.yellow.bold("Passes, but…")];
  for (const note of notes.slice(0, shown)) lines.push(`  ${c.cyan(note.location)} ${passNoteMessage(note)}`);
  if (notes.length > shown) lines.push(c.dim(`  … and ${plural(notes.length - shown, "more note")} like these`));
  return lines;
}

/** The notes as `check --json` carries them. */
export function passesButJson(notes: readonly PassNote[]): { rule: PassRule; message: string; location: string }[] {
  return notes.map((note) => ({ rule: note.rule, message: passNoteMessage(note), location: note.location }));
}
