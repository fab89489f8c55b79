import type { Client, Query } from "pg";
import { InputError } from "../errors";
import { loadPg } from "../pg";
import { pgDuration } from "../text/duration";
import type { Migration, SqlSection } from "../migration";
import { DEAD_RUNNER_CHECK_MS, DEAD_RUNNER_CHECK_SINCE, deadRunnerCheck, deadRunnerCheckExpression } from "./lock";
import { type FilePosition, isServerError, migrationFailed, positionOfCodePoint } from "./sql-error";

/**
 * Sending a migration's SQL to the server whole: one simple-protocol query that carries the
 * transaction's start, the timeouts, the migration's text and whatever must commit with it (the
 * history row). One round trip per migration, never statement by statement.
 *
 * When it fails, the error is mapped back to the file: PostgreSQL's own position when it gives one
 * (syntax errors), otherwise the statement that failed, found by counting the statements the
 * server completed before the error.
 */

/** SQLSTATE syntax_error. */
const SYNTAX_ERROR = "42601";

/** Timeouts set for the migration's statements. */
export interface Timeouts {
  /** `lock_timeout`, ms; 0 = none. */
  lockTimeoutMs: number;
  /** `statement_timeout`, ms; 0 = none. */
  statementTimeoutMs: number;
  /**
   * The server's `server_version_num`, when the session has read it ({@link withServerVersion}):
   * the timeouts are then set with `SET LOCAL`, which returns no row to read back.
   */
  serverVersionNum?: number;
}

/** The timeouts with the version of the server `client` is connected to (one round trip). */
export async function withServerVersion(client: Client, timeouts: Timeouts): Promise<Timeouts> {
  const { rows } = await client.query<{ v: number }>("SELECT current_setting('server_version_num')::int AS v");
  return { ...timeouts, serverVersionNum: rows[0].v };
}

/** The statements of {@link setLocalTimeouts}, by the timeouts they were made for: the same for every migration of a run. */
const localTimeouts = new WeakMap<Timeouts, string[]>();

/**
 * The statements that set the timeouts for the current transaction, with the check for a killed
 * runner, whose statement would otherwise run on (see deadRunnerCheck): `SET LOCAL` when the
 * server's version is known, else one `SELECT` of `set_config(..., true)` (which is `SET LOCAL`)
 * that asks the server its version.
 */
export function setLocalTimeouts(timeouts: Timeouts): string[] {
  const known = localTimeouts.get(timeouts);
  if (known) return known;
  const lock = pgDuration(timeouts.lockTimeoutMs);
  const statement = pgDuration(timeouts.statementTimeoutMs);
  const made =
    timeouts.serverVersionNum === undefined
      ? [`SELECT set_config('lock_timeout', '${lock}', true), set_config('statement_timeout', '${statement}', true), ${deadRunnerCheckExpression("local")}`]
      : [
          `SET LOCAL lock_timeout = '${lock}'`,
          `SET LOCAL statement_timeout = '${statement}'`,
          ...(timeouts.serverVersionNum >= DEAD_RUNNER_CHECK_SINCE ? [`SET LOCAL client_connection_check_interval = ${DEAD_RUNNER_CHECK_MS}`] : []),
        ];
  localTimeouts.set(timeouts, made);
  return made;
}

/** The statement that sets the timeouts for the session, for what runs outside a transaction (reset after with `RESET ALL`). */
export function setSessionTimeouts(timeouts: Timeouts): string {
  return `SET lock_timeout = '${pgDuration(timeouts.lockTimeoutMs)}'; SET statement_timeout = '${pgDuration(timeouts.statementTimeoutMs)}'; ${deadRunnerCheck("session")}`;
}

/**
 * The part of pg's submittable protocol we hook: the client calls `handleCommandComplete` on the
 * active query once per statement the server completed.
 */
interface CommandCompleteHandler {
  handleCommandComplete(...args: unknown[]): void;
}

/** pg's Query class, looked up once (a `require("pg")` per migration would cost a module resolution each, when pg was first loaded from outside dbpipe). */
let QueryClass: typeof Query | undefined;

/** A query that counts the statements the server completed, to locate a failing one. */
function countingQuery(text: string): { query: Query; completed: () => number } {
  QueryClass ??= loadPg().Query;
  const query = new QueryClass(text);
  const handler = query as unknown as CommandCompleteHandler;
  const original = handler.handleCommandComplete;
  let completed = 0;
  handler.handleCommandComplete = function (this: unknown, ...args: unknown[]) {
    completed++;
    original.apply(this, args);
  };
  return { query, completed: () => completed };
}

/** What a batch that failed left behind. */
export interface BatchFailure {
  /** The server's error. */
  error: unknown;
  /** How many statements completed before it. */
  completed: number;
  /** PostgreSQL's 1-based character position in the batch text, when it gave one. */
  position?: number;
}

/**
 * Runs `before` statements, then `section`'s SQL, then `after` statements, as one query. Resolves
 * when all ran; rejects with a {@link BatchFailure}.
 */
export function runBatch(client: Client, before: readonly string[], section: SqlSection, after: readonly string[]): Promise<void> {
  const text = batchText(before, section.text, after);
  const { query, completed } = countingQuery(text);
  return new Promise((resolve, reject) => {
    query.on("error", (error: unknown) => {
      const position = isServerError(error) && error.position ? Number(error.position) : undefined;
      reject({ error, completed: completed(), position } satisfies BatchFailure);
    });
    query.on("end", () => resolve());
    client.query(query);
  });
}

/** The text of a batch. The migration is fenced by newlines so a trailing comment cannot swallow what follows. */
export function batchText(before: readonly string[], sql: string, after: readonly string[]): string {
  return `${before.map((s) => `${s};\n`).join("")}${sql}\n;\n${after.map((s) => `${s};\n`).join("")}`;
}

/** One statement of a section, with where it starts in the file. */
export interface LocatedStatement {
  /** The statement's SQL. */
  text: string;
  /** 1-based line in the file. */
  line: number;
  /** 1-based column in the file. */
  column: number;
  /** Whether it starts or ends a transaction (transactions.ts's STARTS_TRANSACTION, ENDS_TRANSACTION); absent for every other statement. */
  transaction?: "starts" | "ends";
}

/** Splits a section into its statements with the real PostgreSQL parser. */
export type StatementSplitter = (section: SqlSection, file: string) => Promise<LocatedStatement[]>;

/**
 * Turns a batch failure into the error users see, pointing at the file: the server's own position
 * when it is inside the migration's text, else the start of the failing statement.
 */
export async function locateFailure(
  failure: BatchFailure,
  migration: Migration,
  section: SqlSection,
  before: readonly string[],
  split: StatementSplitter,
  consequence: string,
): Promise<Error> {
  const prefixLength = [...before.map((s) => `${s};\n`).join("")].length;
  let position: FilePosition | undefined;
  let outside = false;
  if (failure.position !== undefined) {
    const inSql = failure.position - 1 - prefixLength;
    if (inSql >= 0 && inSql <= [...section.text].length) position = positionOfCodePoint(section, inSql);
    else outside = true;
  }
  // A syntax error, or an error PostgreSQL places in dbpipe's own statements (an unterminated
  // quote runs on into the history INSERT), is the file's: the parser says where, as lint does
  // (invalid input, the same message and exit code as lint and as a no-transaction file).
  if (outside || (isServerError(failure.error) && failure.error.code === SYNTAX_ERROR)) {
    try {
      await split(section, migration.file);
    } catch (parseError) {
      if (parseError instanceof InputError) return parseError;
    }
  }
  if (position === undefined && failure.completed >= before.length) {
    try {
      const statement = (await split(section, migration.file))[failure.completed - before.length];
      if (statement) position = { line: statement.line, column: statement.column };
    } catch {
      // The parser disagreeing with the server is no reason to hide the server's error.
    }
  }
  return migrationFailed(migration, section, failure.error, position, consequence);
}
