/**
 * What both parsers (the full one, `parse.ts`, and the check-only one, `check-parse.ts`) do to a
 * section's text before parsing it, and the marks they look for in it. A leaf: it loads nothing.
 */

/** What every `dbpipe:allow` directive contains (see allow.ts). */
export const DIRECTIVE_MARK = "dbpipe:allow";

/** `text` as the parser is given it: a byte order mark (one UTF-16 unit but three UTF-8 bytes, which the parser rejects) blanked out. */
export function parserText(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
}

/** Whether `text` is only the whitespace PostgreSQL's scanner skips (space, tab, newline, carriage return, form feed, vertical tab). */
export function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!isSpace(text.charCodeAt(i))) return false;
  return true;
}

export function isSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 9 || code === 13 || code === 12 || code === 11;
}
