import { redactText, sqlPasswords } from "../redact";
import type { Client } from "pg";
import type { RiskLevel } from "../risk-level";
import { type BatchFailure, type Timeouts, locateFailure, runBatch, setLocalTimeouts, setSessionTimeouts } from "./batch";
import { HISTORY_TABLE } from "./history";
import type { Migration, SqlSection } from "../migration";
import { literal } from "./session";
import { isServerError, migrationFailed } from "./sql-error";
import { splitWithParser } from "./statements";

/**
 * Applying one migration. A transactional migration runs in its own transaction together with its
 * history row, sent whole in one round trip: either both commit or neither does. A no-transaction
 * migration runs statement by statement; its history row is written first as failed and marked
 * successful at the end, so an interrupted run is never mistaken for a finished one.
 */

/** What one applied migration records beyond its file. */
export interface ApplyRecord {
  /** Risk level, when classified. */
  risk?: RiskLevel | null;
  /** Pre-migration backup reference, when one was taken. */
  backupRef?: string | null;
  /** Who applies it (`DBPIPE_APPLIED_BY`); the database user when undefined. */
  appliedBy?: string;
}

/** The history columns every row of {@link insertHistory} and {@link prepareHistoryInsert} fills, in their order. */
const HISTORY_COLUMNS = "(version, name, checksum, applied_by, execution_ms, success, kind, risk, backup_ref, error)";

/** Milliseconds since the statement (the whole batch) arrived: the migration's own server time. */
const SERVER_ELAPSED_MS = "(extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)::integer";

function insertHistory(m: Migration, record: ApplyRecord, success: boolean, executionMs: string, error: string | null): string {
  return (
    `INSERT INTO ${HISTORY_TABLE} ${HISTORY_COLUMNS} VALUES (` +
    [
      literal(m.version),
      literal(m.name),
      literal(m.checksum),
      record.appliedBy ? literal(record.appliedBy) : "session_user",
      executionMs,
      success ? "true" : "false",
      "'migrate'",
      record.risk ? literal(record.risk) : "NULL",
      record.backupRef ? literal(record.backupRef) : "NULL",
      error === null ? "NULL" : literal(error),
    ].join(", ") +
    ")"
  );
}

/**
 * The history row of a successful transactional migration as a prepared statement of the session
 * (see {@link prepareHistoryInsert}): the server plans the INSERT once per run instead of once per
 * migration, and each batch carries the values only. The same row as {@link insertHistory} writes.
 */
const HISTORY_INSERT = "dbpipe_record_migration";

/** Sessions on which {@link HISTORY_INSERT} is prepared. */
const prepared = new WeakSet<Client>();

/**
 * A migration that mentions DEALLOCATE or DISCARD could drop the prepared statement before its
 * history row is written: its row, and every later one of the session, is written as a plain INSERT.
 */
const MAY_DROP_PREPARED = /\b(deallocate|discard)\b/i;

/**
 * Prepares the history row's INSERT on `client` for the migrations {@link applyMigration} applies
 * next (the history table must exist). Prepared statements belong to the session, outlive
 * transactions and `RESET ALL`, and end with the session.
 */
export async function prepareHistoryInsert(client: Client): Promise<void> {
  if (prepared.has(client)) return;
  await client.query(
    `PREPARE ${HISTORY_INSERT} (text, text, text, text, text, text) AS INSERT INTO ${HISTORY_TABLE} ${HISTORY_COLUMNS} ` +
      `VALUES ($1, $2, $3, coalesce($4, session_user), ${SERVER_ELAPSED_MS}, true, 'migrate', $5, $6, NULL)`,
  );
  prepared.add(client);
}

/** The statement that writes a successful migration's history row, in its own transaction's batch. */
function successRow(client: Client, m: Migration, record: ApplyRecord): string {
  if (prepared.has(client) && MAY_DROP_PREPARED.test(m.up.text)) prepared.delete(client);
  if (!prepared.has(client)) return insertHistory(m, record, true, SERVER_ELAPSED_MS, null);
  const orNull = (value: string | null | undefined) => (value ? literal(value) : "NULL");
  return `EXECUTE ${HISTORY_INSERT} (${literal(m.version)}, ${literal(m.name)}, ${literal(m.checksum)}, ${orNull(record.appliedBy)}, ${orNull(record.risk)}, ${orNull(record.backupRef)})`;
}

/**
 * Applies one migration and returns how long it took on the server, in ms. Throws a
 * `MigrationFailedError` naming the file, line and column when a statement fails.
 */
export async function applyMigration(client: Client, m: Migration, timeouts: Timeouts, record: ApplyRecord): Promise<number> {
  return m.noTransaction ? applyWithoutTransaction(client, m, timeouts, record) : applyInTransaction(client, m, timeouts, record);
}

async function applyInTransaction(client: Client, m: Migration, timeouts: Timeouts, record: ApplyRecord): Promise<number> {
  return runInOwnTransaction(client, m, m.up, timeouts, [successRow(client, m, record)], "Its transaction was rolled back: the migration left no changes and runs again on the next `dbpipe up` or `pulumi up`.");
}

/**
 * Runs `section` of `m` in a transaction of its own with `commitWith` (the history change that must
 * commit with it), in one round trip: `BEGIN`, the timeouts, the section, `commitWith`, `COMMIT`,
 * then `RESET ALL` so that session settings the migration made (search_path, role, ...) do not leak
 * into the next one. On failure, `ROLLBACK; RESET ALL` in one more round trip, and the error is
 * mapped to the file. Returns the time it took, in ms.
 */
export async function runInOwnTransaction(
  client: Client,
  m: Migration,
  section: SqlSection,
  timeouts: Timeouts,
  commitWith: readonly string[],
  consequence: string,
): Promise<number> {
  const before = ["BEGIN", ...setLocalTimeouts(timeouts)];
  const started = performance.now();
  try {
    // RESET ALL comes after the migration's statements, so locating a failure by counting the
    // completed statements is unaffected.
    await runBatch(client, before, section, [...commitWith, "COMMIT", "RESET ALL"]);
  } catch (failure) {
    await client.query("ROLLBACK; RESET ALL").catch(() => undefined);
    throw await locateFailure(failure as BatchFailure, m, section, before, splitWithParser, consequence);
  }
  return Math.round(performance.now() - started);
}

async function applyWithoutTransaction(client: Client, m: Migration, timeouts: Timeouts, record: ApplyRecord): Promise<number> {
  const statements = await splitWithParser(m.up, m.file);
  await client.query(insertHistory(m, record, false, "0", "started but did not finish: the run was interrupted"));
  await client.query(setSessionTimeouts(timeouts));
  const started = performance.now();
  try {
    /** Index of the BEGIN of a transaction the file opened itself and has not ended yet. */
    let openedAt: number | undefined;
    for (const [i, statement] of statements.entries()) {
      try {
        await client.query(statement.text);
      } catch (error) {
        // Inside a transaction the file opened itself, the failure aborted it: nothing more runs on
        // this session (the history's error included) until it is rolled back, and what ran since
        // its BEGIN goes with it.
        const aborted = await client.query("SELECT 1").then(
          () => false,
          (e: unknown) => isServerError(e) && e.code === "25P02",
        );
        if (aborted) await client.query("ROLLBACK").catch(() => undefined);
        const summary = `statement ${i + 1} of ${statements.length} (line ${statement.line}) failed: ${redactText((error as Error).message, sqlPasswords(statement.text))}${isServerError(error) ? ` [SQLSTATE ${error.code}]` : ""}`;
        await client
          .query(`UPDATE ${HISTORY_TABLE} SET error = $2, execution_ms = $3 WHERE version = $1`, [m.version, summary, Math.round(performance.now() - started)])
          .catch(() => undefined);
        const rolledBack = aborted && openedAt !== undefined;
        const kept = rolledBack ? openedAt! : i;
        const done =
          kept === 0 ? (rolledBack ? "No statement before it stays applied" : "No statement before it had run") : kept === 1 ? "Statement 1 had run and stays applied" : `Statements 1 to ${kept} had run and stay applied`;
        const undone = rolledBack ? ` (the file's own transaction, from its BEGIN at statement ${openedAt! + 1}, was rolled back with the failure)` : "";
        throw migrationFailed(m, m.up, error, { line: statement.line, column: statement.column }, `${done}${undone}; the migration is recorded as failed. Fix the database by hand, then run \`dbpipe repair\`.`);
      }
      if (statement.transaction === "starts") openedAt ??= i;
      else if (statement.transaction === "ends") openedAt = undefined;
    }
  } finally {
    await client.query("RESET ALL").catch(() => undefined);
  }
  const ms = Math.round(performance.now() - started);
  await client.query(`UPDATE ${HISTORY_TABLE} SET success = true, error = NULL, execution_ms = $2, applied_at = now() WHERE version = $1`, [m.version, ms]);
  return ms;
}

/**
 * Runs the given text inside an already open transaction (rehearsal), mapping a failure to the
 * file; `after` runs in the same round trip once the text succeeded (`RESET ALL` between rehearsed
 * migrations, so one's session settings do not carry into the next, as in a real `up`).
 */
export async function runInOpenTransaction(
  client: Client,
  m: Migration,
  section: SqlSection,
  timeouts: Timeouts,
  consequence: string,
  after: readonly string[] = [],
): Promise<number> {
  const before = setLocalTimeouts(timeouts);
  const started = performance.now();
  try {
    await runBatch(client, before, section, after);
  } catch (failure) {
    throw await locateFailure(failure as BatchFailure, m, section, before, splitWithParser, consequence);
  }
  return Math.round(performance.now() - started);
}

