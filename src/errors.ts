/**
 * Errors people can act on, in three kinds: invalid input, refused by the stack's policy, and a
 * database or I/O failure. Which exit code a kind gets is the CLI's business (`cli/exit-codes.ts`);
 * the Pulumi provider reports the same kinds its own way. A user's mistake is reported by its message
 * alone, never with a stack trace.
 */

/** What kind of error it is: invalid input, refused by policy, or a failure of the database or the file system. */
export type ErrorKind = "invalid-input" | "refused" | "failure";

/** Base of every error dbpipe reports to users. */
export abstract class DbpipeError extends Error {
  /** Its kind: what the front ends report it as (the CLI's exit code). */
  abstract readonly kind: ErrorKind;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid input: a file, a flag, a config key, or a history that does not match the files. */
export class InputError extends DbpipeError {
  readonly kind = "invalid-input";
}

/** One problem with a stack's config. */
export interface SettingsProblem {
  /** The full key, e.g. `dbpipe:backupRetentionDays`. */
  key: string;
  /** What is wrong and, where useful, what to do. */
  message: string;
  /** Line in the source file, when known. */
  line?: number;
}

/** Invalid stack config: every problem found, each naming its key. */
/** A settings problem as messages show it: `Pulumi.prod.yaml:12: dbpipe:tier: ...`. */
export function settingsProblemText(source: string, p: SettingsProblem): string {
  return `${source}${p.line ? `:${p.line}` : ""}: ${p.key}: ${p.message}`;
}

export class SettingsError extends InputError {
  constructor(
    readonly source: string,
    readonly problems: readonly SettingsProblem[],
  ) {
    super(
      `${source}: invalid stack settings:\n` +
        problems.map((p) => `  ${settingsProblemText(source, p)}`).join("\n"),
    );
  }
}

/** The stack's policy refuses what was asked. */
export class RefusedError extends DbpipeError {
  readonly kind = "refused";
}

/** The database or the file system failed. */
export class FailureError extends DbpipeError {
  readonly kind = "failure";
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
