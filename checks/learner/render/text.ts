// Text helpers every renderer shares: learner text made safe for a terminal, wrapping at word
// boundaries, sizes.

// Characters that change what a terminal shows rather than show themselves: C0 controls (ESC
// starts a sequence that can clear the screen), DEL, C1 controls, direction overrides and
// isolates (a name can read backwards), invisible joiners and marks, line and paragraph
// separators, the byte-order mark, and lone surrogates.
const invisible = new RegExp(
  [
    "[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e",
    "\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb]",
    // A surrogate without its other half.
    "|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]",
  ].join(""),
  "g",
);

/**
 * Learner text (a failure message, console output, a line of their code) as it may reach a
 * terminal: every character above shown as a visible escape, `\x1b` or `\u202E`. Newlines and
 * tabs are kept.
 */
export function visible(text: string): string {
  return text.replace(invisible, (ch) => {
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`;
  });
}

function hex(code: number, digits: number): string {
  return code.toString(16).toUpperCase().padStart(digits, "0");
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: it matches the terminal's color codes, which start with ESC.
const ansi = /\u001b\[[0-9;]*m/g;

/** The width a line takes on screen: its characters, not its color codes. */
export function displayWidth(line: string): number {
  return [...line.replace(ansi, "")].length;
}

/**
 * A line wrapped at word boundaries to `width` columns; continuation lines keep the line's own
 * indentation, plus two spaces. A single word wider than the line is left whole.
 */
export function wrapLine(line: string, width: number): string[] {
  if (displayWidth(line) <= width) return [line];
  const indent = /^ */.exec(line.replace(ansi, ""))![0].length;
  const hanging = " ".repeat(Math.min(indent + 2, Math.floor(width / 2)));
  const words = line.trimStart().split(" ");
  const lines: string[] = [];
  let current = line.slice(0, line.length - line.trimStart().length);
  let empty = true;
  for (const word of words) {
    const candidate = empty ? current + word : `${current} ${word}`;
    if (!empty && displayWidth(candidate) > width) {
      lines.push(current);
      current = hanging + word;
    } else {
      current = candidate;
    }
    empty = false;
  }
  lines.push(current);
  return lines;
}

/** Text wrapped at word boundaries to `width` columns, each line indented by `indentBy` spaces. */
export function wrapText(text: string, width: number, indentBy = 2): string[] {
  const room = Math.max(20, width - indentBy);
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > room) {
        lines.push(line);
        line = word;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    }
    lines.push(line);
  }
  return lines.map((line) => `${" ".repeat(indentBy)}${line}`.trimEnd());
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function firstLine(text: string): string {
  return text.split("\n")[0] ?? "";
}

export function indent(lines: string[]): string[] {
  return lines.map((line) => `  ${line}`);
}

/** "1 hint", "3 hints". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
