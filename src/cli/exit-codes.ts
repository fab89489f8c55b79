import type { DbpipeError, ErrorKind } from "../errors";

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
