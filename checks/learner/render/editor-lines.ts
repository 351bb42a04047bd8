import type { ChalkInstance } from "chalk";
import type { EditorCommand } from "../editor/editor-command.ts";
import type { EditorOutcome } from "../editor/launch-editor.ts";
import type { SourceLocation } from "../runner/run-tests.ts";
import type { Lesson } from "../workbook/lessons.ts";

// The sentences around opening a learner's file in their editor (e in watch mode, npm run open).

/** "lessons/lesson-6-rate-limiter/rate-limit.ts:42": what a terminal or an editor's "go to file" accepts. */
function fileAndLine(location: SourceLocation): string {
  return `${location.file}:${Math.max(1, location.line)}`;
}

const source = (editor: EditorCommand) => (editor.from === "VS Code" ? "VS Code's terminal" : `$${editor.from}`);

export function openingLine(editor: EditorCommand, location: SourceLocation, c: ChalkInstance): string {
  return `Opening ${c.cyan(fileAndLine(location))} in ${editor.name}.`;
}

export function noEditorLine(location: SourceLocation, c: ChalkInstance): string {
  return (
    `Open ${c.cyan(fileAndLine(location))} in your editor: no $VISUAL or $EDITOR is set ` +
    "(EDITOR=nano, for one), and this is not VS Code's terminal."
  );
}

export function needsTerminalLine(editor: EditorCommand, location: SourceLocation, c: ChalkInstance): string {
  const where = c.cyan(fileAndLine(location));
  return `${editor.name} (from ${source(editor)}) runs in a terminal, and this is not one: open ${where} yourself.`;
}

export function editorFailedLine(
  editor: EditorCommand,
  outcome: Exclude<EditorOutcome, { ok: true }>,
  location: SourceLocation,
  c: ChalkInstance,
): string {
  const where = c.cyan(fileAndLine(location));
  if (outcome.kind === "not-started")
    return `${editor.name} (from ${source(editor)}) could not be started (${outcome.reason}): open ${where} yourself.`;
  const how = outcome.signal ? `was stopped by ${outcome.signal}` : `exited with code ${outcome.code}`;
  return `${editor.name} ${how}.`;
}

/** Why `npm run open` opens the top of a lesson's file: no check of it recorded a problem. */
export function noProblemLine(lesson: Lesson, passes: boolean): string {
  return passes
    ? `${lesson.id} passes: opening its file at the top.`
    : `No failing check of ${lesson.id} is recorded: opening its file at the top ` +
        `(npm run check ${lesson.id} finds the first failure).`;
}
