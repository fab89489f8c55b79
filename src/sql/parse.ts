import type { Node, ParseResult, RawStmt } from "libpg-query";
import { InputError } from "../errors";
import type { SqlSection } from "../migration";
import { caretSnippet } from "../text/snippet";
import { type StatementKind, kindOf } from "./ast";
import { type RawParse, type RawParseError, loadParserWasm, parseToJson, parserWasmLoaded } from "./parser-wasm";
import { DIRECTIVE_MARK, isBlank, isSpace, parserText } from "./sql-text";

/**
 * The PostgreSQL parser (libpg-query, the server's own grammar compiled to WebAssembly), wrapped so
 * that every statement keeps where it stands in its file. The parser reports positions as UTF-8
 * byte offsets; everything here speaks JavaScript string offsets (UTF-16 code units), lines and
 * columns, so a migration with `'é'` or `'😀'` in it still points at the right column.
 */

export type { StatementKind } from "./ast";

/** A comment in a migration, outside any statement. */
export interface SqlComment {
  /** The comment's text, with its `--` or `/* *\/` markers. */
  text: string;
  /** Offset of its first character in the section's text. */
  offset: number;
  /** 1-based line in the file. */
  line: number;
  /** 1-based column in the file. */
  column: number;
}

/** One SQL statement of a migration section. */
export interface SqlStatement {
  /** The statement's own SQL: no leading comments, no trailing semicolon. */
  text: string;
  /** Offset (UTF-16 code units) of the statement's first character in the section's text. */
  offset: number;
  /** Offset just past the statement's last character (before its semicolon) in the section's text. */
  end: number;
  /** 1-based line of the statement's first character, in the file. */
  line: number;
  /** 1-based column (UTF-16 code units) of the statement's first character, in the file. */
  column: number;
  /** The parser's statement node, e.g. `{ IndexStmt: { ... } }`. */
  node: Node;
  /** The node's type name, e.g. `IndexStmt`. */
  kind: StatementKind;
  /**
   * The comments that belong to the statement: those between the previous statement and this one,
   * those inside it when one of them is a `dbpipe:allow` directive, and one that follows it on the
   * line where it ends (`DROP TABLE t; -- like this`).
   */
  comments: SqlComment[];
}

/** A position in a file. */
export interface SqlPosition {
  /** Offset (UTF-16 code units) in the section's text. */
  offset: number;
  /** 1-based line in the file. */
  line: number;
  /** 1-based column (UTF-16 code units) in the file. */
  column: number;
}

/** A parsed section: its statements, and a way to place any parser location in the file. */
export interface ParsedSection {
  /** The statements, in order. */
  statements: SqlStatement[];
  /** Comments after the last statement: they belong to no statement. */
  trailingComments: SqlComment[];
  /** Where a parser location (a UTF-8 byte offset in the section, as AST nodes carry them) is in the file. */
  positionOf(byteLocation: number): SqlPosition;
  /** Where an offset in the section's text (UTF-16 code units) is in the file. */
  positionAt(offset: number): SqlPosition;
}

/** SQL that PostgreSQL's parser rejects, reported at its file, line and column with a snippet. */
export class SqlSyntaxError extends InputError {
  constructor(
    /** The file, as users see it in messages. */
    readonly file: string,
    /** 1-based line in the file. */
    readonly line: number,
    /** 1-based column in the file. */
    readonly column: number,
    /** The parser's own message, e.g. `syntax error at or near "TABEL"`. */
    readonly parserMessage: string,
    snippet: string,
  ) {
    super(`${file}:${line}:${column}: ${parserMessage}\n${snippet}`);
  }
}

/**
 * Loads the parser's WebAssembly module. Call (and await) it once before {@link parseSection};
 * later calls return at once. Loading is deferred to here so that commands which never parse SQL
 * do not pay for compiling the parser.
 */
export async function loadParser(): Promise<void> {
  await loadParserWasm();
}

/**
 * Splits a migration section into statements with their positions in `file`. An empty section, or
 * one with only comments, gives `[]`. Throws {@link SqlSyntaxError} when the SQL does not parse.
 * Requires {@link loadParser} to have finished.
 */
export function parseSection(section: SqlSection, file: string): SqlStatement[] {
  return parseSqlSection(section, file).statements;
}

/** Options of {@link parseSqlSection}. */
export interface ParseOptions {
  /**
   * Keep the result for the next parse of the same section (the same object) in the same file:
   * that parse returns it instead of parsing again, and forgets it. `up` checks a file's
   * transaction control and then lints it; each file is parsed once. Default false.
   */
  keep?: boolean;
}

/**
 * Like {@link parseSqlSection}, from the parser's answer for the section's {@link sectionParserText}
 * got elsewhere (in another thread: see parse-ahead.ts); `undefined` when there was nothing to
 * parse. The parser need not be loaded in this thread.
 */
export function parseSqlSectionFrom(section: SqlSection, file: string, answer: SectionParse | undefined): ParsedSection {
  return parseText(section, file, answer);
}

/** The text of `section` to give the parser, or `undefined` when it has nothing the parser need read (see {@link parseSqlSectionFrom}). */
export function sectionParserText(section: SqlSection): string | undefined {
  const text = parserText(section.text);
  return isBlank(text) || text.trim() === "" ? undefined : text;
}

/** Parses kept by `keep` for the next parse of the same section; gone with the section. */
const kept = new WeakMap<SqlSection, { file: string; parsed: ParsedSection }>();

/** Like {@link parseSection}, with the comments after the last statement and a position mapper for AST locations. */
export function parseSqlSection(section: SqlSection, file: string, options: ParseOptions = {}): ParsedSection {
  const earlier = kept.get(section);
  if (earlier && earlier.file === file) {
    kept.delete(section);
    if (options.keep) kept.set(section, earlier);
    return earlier.parsed;
  }
  const parsed = parseText(section, file);
  if (options.keep) kept.set(section, { file, parsed });
  return parsed;
}

/**
 * Where a section's statements and comments stand in its text, worked out from the text and the
 * parser's statement spans alone (no tree): plain numbers, so that the parse-ahead thread works it
 * out beside the parse and sends it with the tree, and the thread that lints only builds the
 * statements from it. Offsets are in UTF-16 code units of the section's parser text.
 */
export interface Placement {
  /**
   * Per statement that has a node, in order: its start and end, the number of its comments, then
   * each comment's start and end (comments before it, a directive inside it, one after it on its
   * last line).
   */
  statements: number[];
  /** The comments after the last statement, as start and end pairs. */
  trailing: number[];
  /** The text's runs of non-ASCII characters, as {@link ByteIndex} keeps them. */
  runs: number[];
}

/** A statement as the parser spans it: where it starts and how long it is, in UTF-8 bytes (0: to the end), and whether it has a node. */
export interface StatementSpan {
  location: number;
  length: number;
  node: boolean;
}

/** A section parsed elsewhere: the parser's answer and, with a tree, where its statements stand. */
export type SectionParse = RawParse<string> & { placement?: Placement };

/**
 * Parses `text` (a {@link sectionParserText}) and works out its {@link Placement} from the
 * parser's JSON without building the tree: what the parse-ahead thread sends for
 * {@link parseSqlSectionFrom}.
 */
export function parseSectionAhead(text: string): SectionParse {
  const answer = parseToJson(text);
  if (answer.error) return answer;
  return { tree: answer.tree, placement: placeStatements(text, statementSpans(answer.tree)) };
}

function parseText(section: SqlSection, file: string, answer?: SectionParse): ParsedSection {
  const text = parserText(section.text);
  const lines = new LineIndex(text, section.line);
  const positionAt = (offset: number) => lines.position(offset);
  if (isBlank(text)) {
    const bytes = ByteIndex.of(text);
    return { statements: [], trailingComments: [], positionOf: (byte: number) => lines.position(bytes.charOffset(byte)), positionAt };
  }

  // As libpg-query's own entry point refuses it: text that is blank only to JavaScript.
  if (text.trim() === "") throw new Error("Query cannot be empty");
  if (!answer) {
    if (!parserWasmLoaded()) throw new Error("the SQL parser is not loaded: await loadParserWasm() before parseSection()");
    answer = parseToJson(text);
  }
  if (answer.error) throw syntaxError(answer.error, text, file, lines);
  const result = JSON.parse(answer.tree) as ParseResult;
  const raw: RawStmt[] = result.stmts ?? [];
  const placement = answer.placement ?? placeStatements(text, raw.map((r) => ({ location: r.stmt_location ?? 0, length: r.stmt_len ?? 0, node: r.stmt !== undefined && r.stmt !== null })));
  const bytes = ByteIndex.from(text, placement.runs);
  const positionOf = (byte: number) => lines.position(bytes.charOffset(byte));
  const comments = (flat: readonly number[], from: number, count: number): SqlComment[] => {
    const out: SqlComment[] = [];
    for (let k = 0; k < count; k++) out.push(lines.comment(text, { start: flat[from + 2 * k], end: flat[from + 2 * k + 1] }));
    return out;
  };

  const statements: SqlStatement[] = [];
  const placed = placement.statements;
  let at = 0;
  for (const item of raw) {
    const node = item.stmt;
    if (!node) continue;
    const start = placed[at];
    const end = placed[at + 1];
    const count = placed[at + 2];
    const position = lines.position(start);
    statements.push({
      text: text.slice(start, end),
      offset: start,
      end,
      line: position.line,
      column: position.column,
      node,
      kind: kindOf(node) as StatementKind,
      comments: comments(placed, at + 3, count),
    });
    at += 3 + 2 * count;
  }
  if (at !== placed.length) throw new Error("the statements' placement does not match the parse tree");
  return { statements, trailingComments: comments(placement.trailing, 0, placement.trailing.length / 2), positionOf, positionAt };
}

/**
 * The {@link Placement} of the statements the parser spanned in `text`: each statement's leading
 * comments and whitespace are cut off (the parser starts a statement right after the previous
 * semicolon), and so are its trailing ones; a comment stays with the statement it is about.
 */
export function placeStatements(text: string, spans: readonly StatementSpan[]): Placement {
  const bytes = ByteIndex.of(text);
  const statements: number[] = [];
  let pending: RawComment[] = [];
  let previous: { end: number; comments: RawComment[] } | undefined;
  const placed: { start: number; end: number; comments: RawComment[] }[] = [];
  // The next `dbpipe:allow` in the text: looked up again only once the statements pass it.
  let directiveAt = text.indexOf(DIRECTIVE_MARK);
  for (const span of spans) {
    if (!span.node) continue;
    const rawStart = bytes.charOffset(span.location);
    // A length of 0 means "to the end of the input": the last statement without a semicolon.
    const rawEnd = span.length ? bytes.charOffset(span.location + span.length) : text.length;
    const leading = scanTrivia(text, rawStart, rawEnd);
    for (const c of leading.comments) pending.push(c);
    attachSameLineComment(previous, pending, text);
    const start = leading.end;
    const end = lastTokenEnd(text, start, rawEnd);
    // A directive may also stand inside the statement (before the clause it is about); reading
    // the statement's comments costs a walk over its tokens, so only when one may be there.
    if (directiveAt !== -1 && directiveAt < start) directiveAt = text.indexOf(DIRECTIVE_MARK, start);
    if (directiveAt !== -1 && directiveAt < end) scanTokens(text, start, end, (c) => pending.push(c));
    const statement = { start, end, comments: pending };
    placed.push(statement);
    pending = [];
    previous = statement;
    // Comments between this statement's end and the next statement are picked up by the next
    // statement's leading scan; after the last statement they are scanned below.
  }
  const tailStart = previous ? afterStatement(text, previous.end) : 0;
  const tail = scanTrivia(text, tailStart, text.length).comments;
  attachSameLineComment(previous, tail, text);
  for (const p of placed) {
    statements.push(p.start, p.end, p.comments.length);
    for (const c of p.comments) statements.push(c.start, c.end);
  }
  return { statements, trailing: tail.flatMap((c) => [c.start, c.end]), runs: bytes.runs };
}

/**
 * The statements' spans in the parser's JSON (`{"version":…,"stmts":[{"stmt":…,"stmt_location":…,
 * "stmt_len":…},…]}`), read without building the tree. In that JSON a `"` inside a string is
 * always escaped (`\"`), so `{"stmt":` and `,"stmt_len":` never match inside one; and of the nodes
 * of a raw parse only the top-level statement (RawStmt) has the keys `stmt`, `stmt_location` and
 * `stmt_len`, written in that order, each left out when empty (0). So each statement starts at a
 * `{"stmt":`, and its location and length are the last of those keys before the next statement (they
 * close its object). (parseText checks that the statements it places are as many as the tree's.)
 */
export function statementSpans(json: string): StatementSpan[] {
  const starts: number[] = [];
  for (let i = json.indexOf('{"stmt":'); i !== -1; i = json.indexOf('{"stmt":', i + 8)) starts.push(i);
  const spans: StatementSpan[] = [];
  for (let k = 0; k < starts.length; k++) {
    const limit = k + 1 < starts.length ? starts[k + 1] : json.length;
    spans.push({ location: keyValue(json, ',"stmt_location":', starts[k], limit), length: keyValue(json, ',"stmt_len":', starts[k], limit), node: true });
  }
  return spans;
}

/**
 * The whole number after `key` in `json` between `from` and `limit`, or 0 when there is none;
 * looked for from `limit` back, as the keys close the statement's object.
 */
function keyValue(json: string, key: string, from: number, limit: number): number {
  const at = json.lastIndexOf(key, limit);
  if (at < from) return 0;
  let value = 0;
  for (let k = at + key.length, d = json.charCodeAt(k); d >= 48 && d <= 57; d = json.charCodeAt(++k)) value = value * 10 + (d - 48);
  return value;
}

/**
 * Moves the first of `comments` to `previous` when it starts on the line where `previous` ends
 * (`DROP TABLE t; -- like this`): such a comment is about the statement before it.
 */
function attachSameLineComment(previous: { end: number; comments: RawComment[] } | undefined, comments: RawComment[], text: string): void {
  if (!previous || comments.length === 0) return;
  const first = comments[0];
  if (text.slice(previous.end, first.start).includes("\n")) return;
  previous.comments.push(first);
  comments.shift();
}

/** Offset just past the semicolon that ends a statement ending at `end`, or `end` when there is none. */
function afterStatement(text: string, end: number): number {
  let i = end;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return text.charCodeAt(i) === 59 /* ; */ ? i + 1 : end;
}

interface RawComment {
  start: number;
  end: number;
}

/**
 * Skips whitespace, semicolons and comments from `from`, recording the comments. Returns where the
 * first real token starts. Only used on text the parser placed between statements, where there
 * are no string literals to get wrong.
 */
function scanTrivia(text: string, from: number, limit: number): { end: number; comments: RawComment[] } {
  const comments: RawComment[] = [];
  let i = from;
  while (i < limit) {
    const c = text.charCodeAt(i);
    if (isSpace(c) || c === 59) {
      i++;
    } else if (c === 45 /* - */ && text.charCodeAt(i + 1) === 45) {
      const start = i;
      while (i < limit && text.charCodeAt(i) !== 10) i++;
      comments.push({ start, end: i });
    } else if (c === 47 /* / */ && text.charCodeAt(i + 1) === 42 /* * */) {
      const start = i;
      i = blockCommentEnd(text, i, limit);
      comments.push({ start, end: i });
    } else {
      break;
    }
  }
  return { end: i, comments };
}

/** End of the (nestable, as in PostgreSQL) block comment starting at `i`. */
export function blockCommentEnd(text: string, i: number, limit: number): number {
  let depth = 0;
  while (i < limit) {
    if (text.charCodeAt(i) === 47 && text.charCodeAt(i + 1) === 42) {
      depth++;
      i += 2;
    } else if (text.charCodeAt(i) === 42 && text.charCodeAt(i + 1) === 47) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return limit;
}

/**
 * Offset just past the last token of the statement in `[start, limit)`: drops trailing whitespace
 * and comments.
 */
function lastTokenEnd(text: string, start: number, limit: number): number {
  // Fast path: when the statement's last line has no `--` and does not end a block comment,
  // nothing trails it but whitespace.
  let trimmed = limit;
  while (trimmed > start && isSpace(text.charCodeAt(trimmed - 1))) trimmed--;
  const lastLine = text.lastIndexOf("\n", trimmed - 1);
  const tail = text.slice(Math.max(lastLine + 1, start), trimmed);
  if (!tail.includes("--") && !tail.endsWith("*/")) return trimmed;
  return scanTokens(text, start, limit);
}

/**
 * Walks the tokens in `[start, limit)` with a {@link SqlTokens} scanner. Calls `onComment` for
 * each comment; returns the offset just past the last token that is not a comment.
 */
function scanTokens(text: string, start: number, limit: number, onComment?: (comment: RawComment) => void): number {
  let end = start;
  const tokens = new SqlTokens(text, start, limit);
  while (tokens.next()) {
    if (tokens.kind === "line-comment" || tokens.kind === "block-comment") onComment?.({ start: tokens.start, end: tokens.end });
    else end = tokens.end;
  }
  return end;
}

/** What a token of SQL text is, as far as telling code from strings, bodies and comments needs. */
export type SqlTokenKind = "line-comment" | "block-comment" | "string" | "quoted-identifier" | "dollar-string" | "word" | "other";

/**
 * The tokens of SQL text, read as PostgreSQL's lexer reads them far enough to know what is a
 * comment, a string (`'...'`, `E'...'` with backslash escapes), a quoted identifier, a
 * dollar-quoted body or a word (an identifier or keyword, `$` included: `a$b$` is one word, not a
 * dollar quote). Everything else is one character of kind `other`. A `-- dbpipe:allow` in a
 * string, a body or a block comment is thus inside that token, never a comment of its own.
 */
export class SqlTokens {
  /** The current token's kind. */
  kind: SqlTokenKind = "other";
  /** Offset of the current token's first character. */
  start: number;
  /** Offset just past the current token. */
  end: number;

  constructor(
    private readonly text: string,
    from: number,
    private readonly limit: number,
  ) {
    this.start = from;
    this.end = from;
  }

  /** Moves to the next token, past any whitespace; false when there is none before the limit. */
  next(): boolean {
    const { text, limit } = this;
    let i = this.end;
    while (i < limit && isSpace(text.charCodeAt(i))) i++;
    this.start = i;
    if (i >= limit) {
      this.end = limit;
      return false;
    }
    const c = text.charCodeAt(i);
    if (c === 45 /* - */ && text.charCodeAt(i + 1) === 45) {
      while (i < limit && text.charCodeAt(i) !== 10) i++;
      this.kind = "line-comment";
    } else if (c === 47 /* / */ && text.charCodeAt(i + 1) === 42 /* * */) {
      i = blockCommentEnd(text, i, limit);
      this.kind = "block-comment";
    } else if (c === 39 /* ' */) {
      i = quotedEnd(text, i, limit, 39, false);
      this.kind = "string";
    } else if (c === 34 /* " */) {
      i = quotedEnd(text, i, limit, 34, false);
      this.kind = "quoted-identifier";
    } else if (c === 36 /* $ */) {
      const end = dollarQuotedEnd(text, i, limit);
      this.kind = end === i + 1 ? "other" : "dollar-string";
      i = end;
    } else if ((c === 69 || c === 101) /* E e */ && text.charCodeAt(i + 1) === 39) {
      // E'...': an escape string, where a backslash escapes the quote.
      i = quotedEnd(text, i + 1, limit, 39, true);
      this.kind = "string";
    } else if (isIdentifierStart(c)) {
      while (i < limit && isIdentifierPart(text.charCodeAt(i))) i++;
      this.kind = "word";
    } else {
      i++;
      this.kind = "other";
    }
    this.end = i;
    return true;
  }
}

/** A character that may start an unquoted identifier: a letter, `_`, or any non-ASCII character. */
function isIdentifierStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128;
}

/** A character that may continue an unquoted identifier: also digits and `$`. */
export function isIdentifierPart(c: number): boolean {
  return isIdentifierStart(c) || (c >= 48 && c <= 57) || c === 36;
}

export function quotedEnd(text: string, i: number, limit: number, quote: number, escapes: boolean): number {
  i++;
  while (i < limit) {
    const c = text.charCodeAt(i);
    if (escapes && c === 92 /* \ */) {
      i += 2;
    } else if (c === quote) {
      if (text.charCodeAt(i + 1) === quote) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return limit;
}

/** End of a `$tag$ ... $tag$` body starting at `i`, or `i + 1` when `$` starts no dollar quote (`$1`). */
export function dollarQuotedEnd(text: string, i: number, limit: number): number {
  let j = i + 1;
  while (j < limit) {
    const c = text.charCodeAt(j);
    if (c === 36) break;
    const identifierChar = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128 || (j > i + 1 && c >= 48 && c <= 57);
    if (!identifierChar) return i + 1;
    j++;
  }
  if (j >= limit) return i + 1;
  const tag = text.slice(i, j + 1);
  const close = text.indexOf(tag, j + 1);
  return close === -1 || close + tag.length > limit ? limit : close + tag.length;
}

/** Maps offsets in a section to lines and columns in its file. */
class LineIndex {
  private readonly starts: number[] = [0];

  constructor(
    text: string,
    private readonly firstLine: number,
  ) {
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) this.starts.push(i + 1);
  }

  position(offset: number): SqlPosition {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { offset, line: this.firstLine + lo, column: offset - this.starts[lo] + 1 };
  }

  /** The text of line `line` (in the file). */
  lineText(text: string, line: number): string {
    const index = line - this.firstLine;
    const start = this.starts[index] ?? text.length;
    const next = this.starts[index + 1];
    return text.slice(start, next === undefined ? text.length : next - 1);
  }

  comment(text: string, raw: RawComment): SqlComment {
    const at = this.position(raw.start);
    return { text: text.slice(raw.start, raw.end), offset: raw.start, line: at.line, column: at.column };
  }
}

/**
 * Maps UTF-8 byte offsets (the parser's) to UTF-16 offsets (JavaScript's). Outside its runs of
 * non-ASCII characters a text has one byte per unit, so the runs are found once (by a regular
 * expression) with the bytes and units at their ends, and an offset is placed by a binary search
 * over them, walking character by character only inside a run. A migration with one `é` in a
 * comment costs one run, not a walk over the whole file.
 */
class ByteIndex {
  private constructor(
    private readonly text: string,
    /** Per run of non-ASCII characters: its first unit, its first byte, the unit and the byte just past it. */
    readonly runs: number[],
  ) {}

  /** The index of `text` whose runs {@link of} found already (in another thread, say). */
  static from(text: string, runs: number[]): ByteIndex {
    return new ByteIndex(text, runs);
  }

  static of(text: string): ByteIndex {
    const runs: number[] = [];
    // Pure ASCII, by far the common case, has no runs: byte offsets are string offsets.
    const nonAscii = /[^\0-\x7f]+/g;
    let bytesOver = 0; // bytes minus units so far
    for (let match = nonAscii.exec(text); match !== null; match = nonAscii.exec(text)) {
      const char = match.index;
      const byte = char + bytesOver;
      const end = stepUtf8(text, char, byte, char + match[0].length, Infinity);
      runs.push(char, byte, end.char, end.byte);
      bytesOver = end.byte - end.char;
      // A high surrogate at a run's end takes the unit after it along (four bytes, two units).
      nonAscii.lastIndex = end.char;
    }
    return new ByteIndex(text, runs);
  }

  charOffset(target: number): number {
    const length = this.text.length;
    const runs = this.runs;
    // The last run that starts before the target.
    let lo = 0;
    let hi = runs.length / 4;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (runs[mid * 4 + 1] < target) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return Math.min(Math.max(target, 0), length);
    const at = (lo - 1) * 4;
    const runEndChar = runs[at + 2];
    const runEndByte = runs[at + 3];
    if (target >= runEndByte) return runEndChar >= length ? runEndChar : Math.min(runEndChar + (target - runEndByte), length);
    return stepUtf8(this.text, runs[at], runs[at + 1], length, target).char;
  }
}

/**
 * Walks `text` from unit `char` (at byte `byte`) a character at a time while before unit `limit`
 * and byte `target`; where it stops. Rounds up: a target inside a character's bytes gives the unit after it.
 */
function stepUtf8(text: string, char: number, byte: number, limit: number, target: number): { char: number; byte: number } {
  while (byte < target && char < limit) {
    const code = text.charCodeAt(char);
    if (code < 0x80) {
      byte += 1;
      char += 1;
    } else if (code < 0x800) {
      byte += 2;
      char += 1;
    } else if (code >= 0xd800 && code <= 0xdbff) {
      // A surrogate pair: one code point, four bytes, two UTF-16 units.
      byte += 4;
      char += 2;
    } else {
      byte += 3;
      char += 1;
    }
  }
  return { char, byte };
}

/** Turns the parser's error into a {@link SqlSyntaxError} at the right line and column of the file. */
function syntaxError(details: RawParseError, text: string, file: string, lines: LineIndex): Error {
  // The parser's cursor counts characters (code points), from 0; JavaScript counts UTF-16 units.
  const offset = codePointToOffset(text, details.cursorPosition ?? 0);
  const at = lines.position(offset);
  const snippet = caretSnippet(lines.lineText(text, at.line), at.line, at.column);
  return new SqlSyntaxError(file, at.line, at.column, shortenNear(details.message), snippet);
}

/** The longest token quoted in a parser message (`at or near "..."`): a literal left open on a huge line would be quoted whole. */
const MAX_NEAR = 60;

function shortenNear(message: string): string {
  return message.replace(/(at or near ")([\s\S]*)("$)/, (whole, open: string, token: string, close: string) =>
    token.length > MAX_NEAR ? `${open}${token.slice(0, MAX_NEAR)}…${close}` : whole,
  );
}

function codePointToOffset(text: string, codePoints: number): number {
  let offset = 0;
  for (let n = 0; n < codePoints && offset < text.length; n++) {
    offset += (text.codePointAt(offset) as number) >= 0x10000 ? 2 : 1;
  }
  return offset;
}
