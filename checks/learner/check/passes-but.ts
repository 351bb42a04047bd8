import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type TS from "typescript";
import { type Lesson, type LessonFile, stubPath, testPaths } from "../workbook/lessons.ts";
import { type PassWhat, passRules } from "./passes-but-rules.ts";
import { declarationCounts, promiseFacts } from "./promise-facts.ts";

// "Passes, but…": once a lesson passes, what its tests cannot see in the learner's files, read
// by TypeScript's parser (passes-but-rules.ts says what and why). Notes never change a verdict:
// they are advice for code that already works, and an analysis that fails gives none.

export type { CredentialFormat, PassRule, PassWhat } from "./passes-but-rules.ts";

/** What a rule found, and where: "lessons/lesson-6-rate-limiter/rate-limit.ts:42". render/passes-but.ts words it. */
export type PassNote = PassWhat & { location: string };

let compiler: typeof TS | undefined;

/**
 * TypeScript's compiler API, loaded on first use and kept for the process: about half a second,
 * paid only once a lesson passes. Loaded with require: importing its 9 MB CommonJS file as a
 * module makes Node scan it for export names first, which takes three times as long.
 */
function loadCompiler(): typeof TS {
  compiler ??= createRequire(import.meta.url)("typescript") as typeof TS;
  return compiler;
}

interface NotesInput {
  root: string;
  /** The learner's file, relative to the root. */
  file: string;
  text: string;
  /** Console methods the lesson's tests listen to (lesson 8's logger writes to console.log on purpose). */
  consoleExpected?: ReadonlySet<string>;
}

/** The notes for one file's text, in the rules' order of importance, then by line. */
export function notesForFile({ root, file, text, consoleExpected = new Set() }: NotesInput): PassNote[] {
  const ts = loadCompiler();
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const context = {
    ts,
    source,
    promises: promiseFacts(ts, root, file, source),
    declared: declarationCounts(ts, source),
    consoleExpected,
  };
  const seen = new Set<string>();
  const notes: PassNote[] = [];
  for (const { find } of passRules) {
    const found = find(context).map(({ node, ...what }) => {
      const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      return { note: { ...what, location: `${file}:${line}` } as PassNote, line };
    });
    for (const { note } of found.sort((a, b) => a.line - b.line)) {
      const key = `${note.rule} ${note.location}`;
      if (!seen.has(key)) notes.push(note);
      seen.add(key);
    }
  }
  return notes;
}

const consoleUse = /\bconsole\s*(?:,\s*["'`]|\.)(\w+)/g;

/** The console methods a lesson's tests spy on or mention: output the lesson asks for. */
export function consoleMethodsTested(testTexts: readonly string[]): Set<string> {
  return new Set(testTexts.flatMap((text) => [...text.matchAll(consoleUse)].map((match) => match[1]!)));
}

/**
 * The notes on a lesson's files (its stubs, never its tests), most important first, each file's
 * text given by `textOf`: the learner's file for a check, the reference for verify.
 */
export function notesForLesson(root: string, lesson: Lesson, textOf: (file: LessonFile) => string): PassNote[] {
  const read = (file: string) => readFileSync(path.join(root, file), "utf8");
  const consoleExpected = consoleMethodsTested(testPaths(lesson).map(read));
  const notes = lesson.files.flatMap((file) =>
    notesForFile({ root, file: stubPath(lesson, file), text: textOf(file), consoleExpected }),
  );
  const rank = (note: PassNote) => passRules.findIndex(({ rule }) => rule === note.rule);
  // Stable: within a rule, the files in the manifest's order and each file's lines in order.
  return notes.sort((a, b) => rank(a) - rank(b));
}

/** The notes on the learner's files of a lesson. Never throws: a file that cannot be read has none. */
export function passesBut(root: string, lesson: Lesson): PassNote[] {
  try {
    return notesForLesson(root, lesson, (file) => readFileSync(path.join(root, stubPath(lesson, file)), "utf8"));
  } catch {
    return [];
  }
}
