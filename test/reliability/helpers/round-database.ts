import { afterAll, onTestFinished } from "vitest";
import { createDatabase, publicTables, withClient } from "../../helpers/database";
import { ADVISORY_LOCK_KEY } from "../../../src/migrate/lock";

/**
 * Databases for the rounds of a reliability test: like `freshDatabase` (test/helpers/database.ts),
 * a new empty database on the test run's PostgreSQL, but usable inside a test too (dropped when the
 * test ends, so twenty rounds do not keep twenty databases), and the checks every round makes.
 */

/** A fresh, empty database, dropped when the current test ends (or the file, outside a test). Returns its URL. */
export async function roundDatabase(prefix = "rel"): Promise<string> {
  const { url, drop } = await createDatabase(prefix);
  try {
    onTestFinished(drop);
  } catch {
    afterAll(drop);
  }
  return url;
}

/** One history row, as the checks read it. */
export interface HistoryRecord {
  version: string;
  success: boolean;
  kind: string;
  error: string | null;
}

/** The history rows in version order; empty when there is no history table yet. */
export async function historyOf(url: string): Promise<HistoryRecord[]> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ exists: boolean }>("SELECT to_regclass('dbpipe.schema_migrations') IS NOT NULL AS exists");
    if (!rows[0].exists) return [];
    return (await c.query<HistoryRecord>("SELECT version, success, kind, error FROM dbpipe.schema_migrations ORDER BY version")).rows;
  });
}

/** The tables in `public`, sorted. */
export const tablesOf = publicTables;

/** The server pids holding dbpipe's run lock on `url`'s database. */
export async function runLockHolders(url: string): Promise<number[]> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ pid: number }>(
      `SELECT pid FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND classid = $1 AND objid = $2 AND objsubid = 1`,
      [(ADVISORY_LOCK_KEY >> 32n).toString(), (ADVISORY_LOCK_KEY & 0xffffffffn).toString()],
    );
    return rows.map((r) => r.pid);
  });
}

/**
 * Waits until nobody holds the run lock on `url`'s database, up to `limitMs`, and returns the pids
 * still holding it then (empty: released). A killed runner's session ends, and PostgreSQL releases
 * its session-level locks with it, once the server notices (at the latest when the statement it
 * was running ends).
 */
export async function runLockAfter(url: string, limitMs: number): Promise<number[]> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const holders = await runLockHolders(url);
    if (holders.length === 0 || Date.now() > deadline) return holders;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
