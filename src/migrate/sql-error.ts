import type { DatabaseError } from "pg";
import { FailureError } from "../errors";
import { redactSql, redactText, sqlPasswords } from "../redact";
import { caretSnippet } from "../text/snippet";
import type { Migration, SqlSection } from "../migration";

/**
 * Mapping a PostgreSQL error back to the migration file: file, line and column, a snippet with a
 * caret under the column, the SQLSTATE, message, detail and hint.
 */

/** A place in a migration file (1-based). */
export interface FilePosition {
  line: number;
  column: number;
}

/**
 * The file position of a character in `section.text`. `codePoints` is the number of Unicode code
 * points before it, as PostgreSQL counts; the column is in UTF-16 code units, as editors and SARIF
 * count (the same for all but astral characters such as emoji).
 */
export function positionOfCodePoint(section: SqlSection, codePoints: number): FilePosition {
  let line = section.line;
  let column = 1;
  let seen = 0;
  for (const ch of section.text) {
    if (seen >= codePoints) break;
    seen++;
    if (ch === "\n") {
      line++;
      column = 1;
    } else column += ch.length;
  }
  return { line, column };
}

/**
 * The source line at `line` and a caret under `column`, numbered like a compiler does. Password
 * literals (`PASSWORD '...'`) are shown as `'***'`, the caret still under the same token.
 */
export function snippet(section: SqlSection, position: FilePosition): string {
  const lines = section.text.split("\n");
  const original = lines[position.line - section.line];
  if (original === undefined) return "";
  return caretSnippet(original, position.line, position.column, { redact: redactSql });
}

/** A statement of a migration failed on the server. Nothing after it ran; its transaction rolled back. */
export class MigrationFailedError extends FailureError {
  constructor(
    /** The migration. */
    readonly migration: Pick<Migration, "version" | "name" | "file">,
    /** Where the failing statement (or the error's position) is, when known. */
    readonly position: FilePosition | undefined,
    /** The SQLSTATE, e.g. `42P01`. */
    readonly code: string | undefined,
    /** PostgreSQL's message. */
    readonly pgMessage: string,
    /** PostgreSQL's detail. */
    readonly detail: string | undefined,
    /** PostgreSQL's hint. */
    readonly hint: string | undefined,
    /** The snippet with a caret, when the position is known. */
    readonly excerpt: string,
    /** What happened to the migration: rolled back, or (no-transaction) left failed. */
    readonly consequence: string,
    options?: { cause?: unknown },
  ) {
    const where = position ? `${migration.file}:${position.line}:${position.column}` : migration.file;
    const failure = [
      `${where}: migration ${migration.version} (${migration.name}) failed: ${pgMessage}${code ? ` [SQLSTATE ${code}]` : ""}`,
      ...(excerpt ? [excerpt] : []),
      ...(detail ? [`  detail: ${detail}`] : []),
      ...(hint ? [`  hint: ${hint}`] : []),
    ].join("\n");
    super(`${failure}\n  ${consequence}`, options);
    this.failure = failure;
  }

  /** The message without its consequence: where and how it failed, with the excerpt, detail and hint. */
  readonly failure: string;
}

/** True for an error that came from the PostgreSQL server (it has a SQLSTATE). */
export function isServerError(error: unknown): error is DatabaseError {
  return typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string" && /^[0-9A-Z]{5}$/.test((error as { code: string }).code);
}

/**
 * Builds the error for a failed migration. `position` is where the failing statement starts, or
 * where PostgreSQL points (its `position`, already translated into the file).
 */
export function migrationFailed(
  migration: Pick<Migration, "version" | "name" | "file">,
  section: SqlSection,
  error: unknown,
  position: FilePosition | undefined,
  consequence: string,
): MigrationFailedError {
  const db = isServerError(error) ? error : undefined;
  // PostgreSQL may quote the failing SQL ("syntax error at or near ..."): its password literals go.
  const passwords = sqlPasswords(section.text);
  const hide = (text: string | undefined) => (text === undefined ? undefined : redactText(text, passwords));
  const message = hide(error instanceof Error ? error.message : String(error))!;
  return new MigrationFailedError(
    migration,
    position,
    db?.code,
    message,
    hide(db?.detail),
    hide(db?.hint),
    position ? snippet(section, position) : "",
    consequence,
    { cause: error },
  );
}
