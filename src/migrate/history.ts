import type { Client, QueryResult, QueryResultRow } from "pg";
import { InputError } from "../errors";
import type { Migration } from "../migration";
import type { RiskLevel } from "../risk-level";

/**
 * The history table, `dbpipe.schema_migrations`: one row per applied (or failed, or baselined)
 * migration. It lives in its own schema so that it is never mistaken for application data.
 */

/** The history table's qualified name. */
export const HISTORY_TABLE = "dbpipe.schema_migrations";

/** How a history row came to be. */
export type HistoryKind = "migrate" | "baseline";

/** One row of the history table. */
export interface HistoryRow {
  /** The migration's version as written in its file name. */
  version: string;
  /** The migration's name. */
  name: string;
  /** The checksum of the file when it was applied. */
  checksum: string;
  /** When it was applied. */
  appliedAt: Date;
  /** Who applied it: `DBPIPE_APPLIED_BY` when set (CI), else the database user. */
  appliedBy: string;
  /** How long it ran, in milliseconds (0 for a baseline). */
  executionMs: number;
  /** False when a no-transaction migration failed part-way: `dbpipe repair` clears it. */
  success: boolean;
  /** `migrate`, or `baseline` when recorded without running. */
  kind: HistoryKind;
  /** The migration's risk level when it was applied, if it was classified. */
  risk: RiskLevel | null;
  /** Where the pre-migration backup went, if one was taken. */
  backupRef: string | null;
  /** For a failed row: the error. */
  error: string | null;
}

/**
 * Creates the schema and table when missing. Idempotent, and safe when two runners start at the
 * same time (each statement tolerates the other runner having created the object first).
 */
export const CREATE_HISTORY_SQL = `
CREATE SCHEMA IF NOT EXISTS dbpipe;
CREATE TABLE IF NOT EXISTS ${HISTORY_TABLE} (
  version       text        PRIMARY KEY CHECK (version ~ '^[0-9]+$'),
  name          text        NOT NULL,
  checksum      text        NOT NULL,
  applied_at    timestamptz NOT NULL DEFAULT now(),
  applied_by    text        NOT NULL DEFAULT session_user,
  execution_ms  integer     NOT NULL DEFAULT 0,
  success       boolean     NOT NULL,
  kind          text        NOT NULL DEFAULT 'migrate' CHECK (kind IN ('migrate', 'baseline')),
  risk          text        CHECK (risk IN ('low', 'medium', 'high')),
  backup_ref    text,
  error         text
);
COMMENT ON TABLE ${HISTORY_TABLE} IS 'Migrations applied by dbpipe. Edit only with dbpipe repair.';
`;

/** Makes sure the history table exists. */
export async function ensureHistory(client: Client): Promise<void> {
  const { rows } = await client.query<{ exists: boolean }>("SELECT to_regclass($1) IS NOT NULL AS exists", [HISTORY_TABLE]);
  if (rows[0].exists) return;
  try {
    await client.query(CREATE_HISTORY_SQL);
  } catch (error) {
    // Two runners racing to create it: the loser sees a unique violation on the catalog.
    if ((error as { code?: string }).code !== "23505" && (error as { code?: string }).code !== "42P07") throw error;
  }
}

/** Reads the history, in version order; empty when the table does not exist yet. */
/** The newest migration the history records as applied (what a backup's manifest calls its head); null when none is. */
export function historyHead(rows: readonly HistoryRow[]): string | null {
  return rows.filter((r) => r.success).at(-1)?.version ?? null;
}

export async function readHistory(client: Client): Promise<HistoryRow[]> {
  const { rows: exists } = await client.query<{ exists: boolean }>("SELECT to_regclass($1) IS NOT NULL AS exists", [HISTORY_TABLE]);
  if (!exists[0].exists) return [];
  const { rows } = await queryHistory<{
    version: string;
    name: string;
    checksum: string;
    applied_at: Date;
    applied_by: string;
    execution_ms: number;
    success: boolean;
    kind: HistoryKind;
    risk: RiskLevel | null;
    backup_ref: string | null;
    error: string | null;
  }>(client, `SELECT version, name, checksum, applied_at, applied_by, execution_ms, success, kind, risk, backup_ref, error
        FROM ${HISTORY_TABLE} ORDER BY version::numeric, version`);
  return rows.map((r) => ({
    version: r.version,
    name: r.name,
    checksum: r.checksum,
    appliedAt: r.applied_at,
    appliedBy: r.applied_by,
    executionMs: r.execution_ms,
    success: r.success,
    kind: r.kind,
    risk: r.risk,
    backupRef: r.backup_ref,
    error: r.error,
  }));
}

/**
 * Runs a query on the history table, refusing (exit 2) a table of that name that is not dbpipe's
 * (a column missing, or of another type): a table another tool or a person made, which dbpipe must
 * neither read as its history nor write to.
 */
async function queryHistory<R extends QueryResultRow>(client: Client, sql: string): Promise<QueryResult<R>> {
  try {
    return await client.query<R>(sql);
  } catch (error) {
    const code = (error as { code?: string }).code;
    // undefined_column, undefined_function (an operator on a column of another type), cannot_coerce, invalid text representation
    if (code === "42703" || code === "42883" || code === "42846" || code === "22P02") {
      throw new InputError(
        `${HISTORY_TABLE} is not dbpipe's history table (${(error as Error).message}): dbpipe keeps its history in a table of that name with its own columns. ` +
          "If another tool or a person made it, rename it (or its schema) and run again; nothing was changed.",
      );
    }
    throw error;
  }
}

/** Who is applying: `DBPIPE_APPLIED_BY` (e.g. the CI actor) when set, else the database user. */
export function appliedBy(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const who = env.DBPIPE_APPLIED_BY?.trim();
  return who ? who.slice(0, 200) : undefined;
}

/**
 * What a migration recorded as applied without running it says beyond its file, where another
 * tool's history knows it (`adopt`); each defaults as for every baseline row.
 */
export interface BaselineOrigin {
  /** When it was applied. Default: now. */
  appliedAt?: Date | null;
  /** Who applied it. Default: `DBPIPE_APPLIED_BY` when set, else the database user. */
  appliedBy?: string | null;
  /** How long it ran, in ms. Default: 0. */
  executionMs?: number | null;
}

/**
 * Records `migrations` as applied without running them — the rows of `baseline`, `adopt` and
 * `diff --mark-applied`: kind `baseline`, successful, the file's checksum, no risk, backup or
 * error. One statement, so either every row is written or none is. `origins` gives, by version,
 * what another tool's history says of a migration.
 */
export async function recordBaseline(
  client: Client,
  migrations: readonly Pick<Migration, "version" | "name" | "checksum">[],
  origins: ReadonlyMap<string, BaselineOrigin> = new Map(),
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  if (migrations.length === 0) return;
  const who = appliedBy(env) ?? null;
  const origin = (m: { version: string }) => origins.get(m.version) ?? {};
  await client.query(
    `INSERT INTO ${HISTORY_TABLE} (version, name, checksum, applied_at, applied_by, execution_ms, success, kind)
     SELECT version, name, checksum, coalesce(applied_at, now()), coalesce(applied_by, $7, session_user), coalesce(execution_ms, 0), true, 'baseline'
       FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::integer[]) AS r (version, name, checksum, applied_at, applied_by, execution_ms)`,
    [
      migrations.map((m) => m.version),
      migrations.map((m) => m.name),
      migrations.map((m) => m.checksum),
      migrations.map((m) => origin(m).appliedAt ?? null),
      migrations.map((m) => origin(m).appliedBy ?? null),
      migrations.map((m) => origin(m).executionMs ?? null),
      who,
    ],
  );
}
