/**
 * Errors people can act on. Each kind maps to one exit code of the CLI (documented in the README):
 * 0 done, 1 refused by policy, 2 invalid input, 3 database or I/O failure. A user's mistake is
 * reported by its message alone, never with a stack trace.
 */

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

/** Base of every error dbpipe reports to users. */
export abstract class DbpipeError extends Error {
  /** The CLI exits with this code when the error reaches it. */
  abstract readonly exitCode: ExitCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid input: a file, a flag, a config key, or a history that does not match the files (exit 2). */
export class InputError extends DbpipeError {
  readonly exitCode = EXIT.invalidInput;
}

/** The stack's policy refuses what was asked (exit 1). */
export class RefusedError extends DbpipeError {
  readonly exitCode = EXIT.refused;
}

/** The database or the file system failed (exit 3). */
export class FailureError extends DbpipeError {
  readonly exitCode = EXIT.failure;
}
