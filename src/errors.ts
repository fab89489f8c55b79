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

/** Network errors that mean the server could not be reached at all. */
const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);
/** Network errors that may happen on connecting or later. */
const NETWORK = new Set([...UNREACHABLE, "ETIMEDOUT", "ECONNRESET", "ECONNABORTED", "EPIPE"]);
/** What `pg` says when the connection goes away under it. */
const CONNECTION_LOST = /^(Connection terminated|Connection ended|Client has encountered a connection error|Client was closed|Query read timeout|timeout expired)/i;

/**
 * The {@link FailureError} for an error from `pg` or the network that reached a front end
 * unwrapped — a refused or dropped connection, an SQL error outside a migration — naming `target`
 * (a redacted URL, or the embedded server's folder). `undefined` for any other error.
 */
export function databaseFailure(error: unknown, target: string): FailureError | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, syscall } = error as { code?: unknown; syscall?: unknown };
  if (typeof code === "string" && NETWORK.has(code)) {
    const connecting = UNREACHABLE.has(code) || syscall === "connect" || syscall === "getaddrinfo";
    return new FailureError(`${connecting ? "could not connect to" : "lost the connection to"} ${target}: ${error.message}`, { cause: error });
  }
  if (CONNECTION_LOST.test(error.message)) return new FailureError(`lost the connection to ${target}: ${error.message}`, { cause: error });
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) {
    const { detail, hint } = error as { detail?: unknown; hint?: unknown };
    return new FailureError(
      [
        `the database failed (${target}): ${error.message} [SQLSTATE ${code}]`,
        ...(typeof detail === "string" && detail ? [`  detail: ${detail}`] : []),
        ...(typeof hint === "string" && hint ? [`  hint: ${hint}`] : []),
      ].join("\n"),
      { cause: error },
    );
  }
  return undefined;
}
