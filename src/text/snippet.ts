/**
 * A source line with a caret under one column, numbered like a compiler prints it:
 *
 * ```
 *   12 | ALTER TABLE users ADD COLUMN email text NOT NUL;
 *      |                                             ^
 * ```
 *
 * One module for every error that points into a file (a parser error, a server error). A long line
 * is cut to a window around the column, so a 5 MB single-line file prints a readable line, not 5 MB.
 */

/** The widest line a snippet shows, in characters (the rest is cut, marked `…`). */
export const SNIPPET_WIDTH = 120;

/** Options of {@link caretSnippet}. */
export interface SnippetOptions {
  /** The widest line shown. Default {@link SNIPPET_WIDTH}. */
  width?: number;
  /**
   * Rewrites text before it is shown (hiding password literals). Applied to the whole line, and to
   * the text before the column to place the caret under the same token. Default: none.
   */
  redact?: (text: string) => string;
}

/**
 * The snippet of `lineText` (line `line` of its file) with a caret under `column` (1-based, in
 * UTF-16 units); a column past the end puts the caret just after the line.
 */
export function caretSnippet(lineText: string, line: number, column: number, options: SnippetOptions = {}): string {
  const width = Math.max(20, options.width ?? SNIPPET_WIDTH);
  const redact = options.redact ?? ((t: string) => t);
  // Control characters other than tabs would move the terminal's cursor: shown as spaces.
  const clean = (t: string) => t.replace(/\p{Cc}/gu, (c) => (c === "\t" ? c : " "));
  const text = clean(redact(lineText));
  // The caret's place in the shown text: the length of what is shown before the column.
  let at = clean(redact(lineText.slice(0, Math.max(0, column - 1)))).length;
  at = Math.min(at, text.length);
  let start = 0;
  let end = text.length;
  if (text.length > width) {
    start = Math.max(0, Math.min(at - Math.floor(width / 2), text.length - width));
    end = Math.min(text.length, start + width);
  }
  const before = start > 0 ? "…" : "";
  const after = end < text.length ? "…" : "";
  const shown = before + text.slice(start, end) + after;
  // Tabs stay tabs under the line, so the caret lines up however wide the terminal shows them.
  const pad = before.replace(/./u, " ") + text.slice(start, at).replace(/[^\t]/gu, " ");
  const gutter = String(line);
  return `  ${gutter} | ${shown}\n  ${" ".repeat(gutter.length)} | ${pad}^`;
}
