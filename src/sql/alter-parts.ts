import type { AlterTableStmt } from "libpg-query";
import { type ParsedSection, type SqlStatement, SqlTokens, isIdentifierPart, quotedEnd } from "./parse";
import { isSpace } from "./sql-text";

/**
 * Where each part of a multi-part ALTER TABLE stands in its statement (`ALTER TABLE t ADD COLUMN a
 * int, DROP COLUMN b`: two parts), so that a finding about one part points at it. The parser
 * gives most subcommands no location of their own; the parts are the statement's top-level
 * comma-separated pieces after the table's name, in the order of the parser's subcommands.
 */

/** A part of an ALTER TABLE: offsets (UTF-16 code units) in the section's text. */
export interface AlterPart {
  /** Its first character. */
  start: number;
  /** Just past its last token. */
  end: number;
}

/** The parts of `alter` (the node of `statement`), or undefined when they cannot be told apart from `count` subcommands. */
export function alterTableParts(statement: SqlStatement, parsed: ParsedSection, alter: AlterTableStmt, count: number): AlterPart[] | undefined {
  const location = alter.relation?.location;
  if (location === undefined || location < 0) return undefined;
  const text = statement.text;
  const base = statement.offset;
  let i = parsed.positionOf(location).offset - base;
  if (i < 0 || i >= text.length) return undefined;
  i = afterName(text, i);

  const parts: AlterPart[] = [];
  let start = -1;
  let end = -1;
  let depth = 0;
  const close = () => {
    if (start !== -1) parts.push({ start: base + start, end: base + end });
    start = -1;
  };
  const tokens = new SqlTokens(text, i, text.length);
  while (tokens.next()) {
    if (tokens.kind === "line-comment" || tokens.kind === "block-comment") continue;
    const c = text.charCodeAt(tokens.start);
    if (tokens.kind === "other" && c === 44 /* , */ && depth === 0) {
      close();
      continue;
    }
    if (start === -1) start = tokens.start;
    if (tokens.kind === "other" && c === 40 /* ( */) depth++;
    else if (tokens.kind === "other" && c === 41 /* ) */) depth--;
    end = tokens.end;
  }
  close();
  return parts.length === count ? parts : undefined;
}

/** Offset just past a (qualified, maybe quoted) name starting at `i`, and a trailing `*`. */
function afterName(text: string, i: number): number {
  for (;;) {
    if (text.charCodeAt(i) === 34) i = quotedEnd(text, i, text.length, 34, false);
    else while (i < text.length && isIdentifierPart(text.charCodeAt(i))) i++;
    let j = i;
    while (j < text.length && isSpace(text.charCodeAt(j))) j++;
    if (text.charCodeAt(j) !== 46 /* . */) break;
    i = j + 1;
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  }
  let j = i;
  while (j < text.length && isSpace(text.charCodeAt(j))) j++;
  return text.charCodeAt(j) === 42 /* * */ ? j + 1 : i;
}
