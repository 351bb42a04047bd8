import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import type { PassNote } from "../check/passes-but.ts";
import { passNoteMessage, passesButJson, passesButLines } from "./passes-but.ts";

// How each "passes, but…" note reads: what was found, why it matters, what to do.

const c = new Chalk({ level: 0 });
const at = "lessons/lesson-6-rate-limiter/rate-limit.ts:42";
const note = (what: Omit<PassNote, "location"> & Partial<PassNote>) => ({ location: at, ...what }) as PassNote;

/** "secret-in-code, fallbackFor AUTH_SECRET": a note's rule and what it found, as a test name. */
const named = ([found, message]: [PassNote, string]) => {
  const { rule, location: _location, ...what } = found;
  return [[rule, ...Object.entries(what).map(([key, value]) => `${key} ${value}`)].join(", "), found, message] as const;
};

describe("passNoteMessage", () => {
  it.each(
    (
      [
        [
          note({ rule: "floating-promise", call: "guard(…)" }),
          "the promise from guard(…) is neither awaited nor returned: the code after it does not wait for it, and " +
            "nothing catches its error. Put await before it (or return it).",
        ],
        [
          note({ rule: "dropped-error", by: "catch-block" }),
          "an error is caught and dropped by an empty catch block: nothing logs it or passes it on. Rethrow it, log " +
            "it, or say in a comment why it is safe to ignore.",
        ],
        [
          note({ rule: "dropped-error", by: "catch-handler" }),
          "an error is caught and dropped by a .catch() that does nothing with it: nothing logs it or passes it on. " +
            "Rethrow it, log it, or say in a comment why it is safe to ignore.",
        ],
        [
          note({ rule: "secret-in-code", fallbackFor: "AUTH_SECRET" }),
          "a secret is written in the code (a fallback for process.env.AUTH_SECRET): anyone who can read the code " +
            "can use it. Read it from the environment instead.",
        ],
        [
          note({ rule: "secret-in-code", name: "JWT_SECRET" }),
          "a secret is written in the code (the value of JWT_SECRET): anyone who can read the code can use it. " +
            "Read it from the environment instead.",
        ],
        [
          note({ rule: "secret-in-code", format: "jwt" }),
          "a signed token (JWT) is written in the code: anyone who can read the code can use it. Read it from the " +
            "environment instead.",
        ],
        [
          note({ rule: "any-in-signature", signature: "hit()" }),
          "any in the signature of hit(): what goes in or comes out there is not type-checked, so a wrong call " +
            "compiles. Name the type (or use unknown and narrow it).",
        ],
        [
          note({ rule: "any-in-signature" }),
          "any in the signature of a function: what goes in or comes out there is not type-checked, so a wrong call " +
            "compiles. Name the type (or use unknown and narrow it).",
        ],
        [
          note({ rule: "debugger" }),
          "a debugger statement is left in: it pauses the server wherever a debugger is attached. Remove it.",
        ],
        [
          note({ rule: "console-log", method: "log" }),
          "console.log is left in: it prints on every call, in production too. Remove it once you are done debugging.",
        ],
      ] as [PassNote, string][]
    ).map(named),
  )("words a note of %s", (_name, found, message) => {
    expect(passNoteMessage(found)).toBe(message);
  });

  it("shows names from the learner's code with their invisible characters escaped", () => {
    expect(passNoteMessage(note({ rule: "floating-promise", call: "sa\u202Eve(…)" }))).toContain("sa\\u202Eve(…)");
    expect(passNoteMessage(note({ rule: "secret-in-code", name: "KEY\u001b[2J_SECRET" }))).toContain("KEY\\x1B[2J");
  });
});

describe("passesButLines", () => {
  const notes = [
    note({ rule: "floating-promise", call: "guard(…)" }),
    note({ rule: "debugger", location: `${at.slice(0, -3)}:50` }),
    note({ rule: "console-log", method: "log", location: `${at.slice(0, -3)}:51` }),
    note({ rule: "console-log", method: "info", location: `${at.slice(0, -3)}:52` }),
  ];

  it("says nothing without notes", () => {
    expect(passesButLines([], c)).toEqual([]);
  });

  it("shows two notes at most, each at its file:line, and counts the rest", () => {
    expect(passesButLines(notes, c)).toEqual([
      "Passes, but…",
      `  ${at} ${passNoteMessage(notes[0]!)}`,
      `  lessons/lesson-6-rate-limiter/rate-limit.ts:50 ${passNoteMessage(notes[1]!)}`,
      "  … and 2 more notes like these",
    ]);
  });

  it("gives --json every note as rule, message and location", () => {
    expect(passesButJson(notes)).toHaveLength(4);
    expect(passesButJson(notes)[3]).toEqual({
      rule: "console-log",
      message: passNoteMessage(notes[3]!),
      location: "lessons/lesson-6-rate-limiter/rate-limit.ts:52",
    });
  });
});
