import { DbpipeError, type ErrorKind, databaseFailure } from "../errors";
import { redactText, redactUrl } from "../redact";

/** The CLI's exit codes (documented in the README and `dbpipe --help`), and the one for each kind of error. */

/** The CLI's exit codes. */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** Refused by policy: the stack's tier does not allow the plan. */
  refused: 1,
  /** Invalid input: files, config, flags, integrity of the history. */
  invalidInput: 2,
  /** Database or I/O failure. */
  failure: 3,
} as const;

/** An exit code of the CLI. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const BY_KIND: Readonly<Record<ErrorKind, ExitCode>> = { "invalid-input": EXIT.invalidInput, refused: EXIT.refused, failure: EXIT.failure };

/** The exit code for `error`. */
export function exitCodeOf(error: DbpipeError): ExitCode {
  return BY_KIND[error.kind];
}

/** How the CLI reports an error: its message (passwords removed) and the exit code. */
export interface ReportedError {
  /** The message, as stderr shows it after `error:`. */
  message: string;
  /** The exit code. */
  exitCode: ExitCode;
  /** The error as dbpipe knows it; none for an error it did not anticipate (a bug). */
  known?: DbpipeError;
}

/**
 * How the CLI reports `error`, thrown by a command whose database is `database` (its URL, if it
 * has one): a {@link DbpipeError} by its message and kind; the network or the server failing
 * outside a migration (a refused connection, a dropped one, an SQL error reading the history) as a
 * database failure, not a bug; anything else as a failure dbpipe did not anticipate (exit 3).
 */
export function reportedError(error: unknown, database?: string): ReportedError {
  const known = error instanceof DbpipeError ? error : databaseFailure(error, database ? redactUrl(database) : "the database");
  if (known) return { message: redactText(known.message), exitCode: exitCodeOf(known), known };
  return { message: redactText(error instanceof Error ? error.message : String(error)), exitCode: EXIT.failure };
}
