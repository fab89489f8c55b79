import type { Client } from "pg";
import { FailureError } from "../errors";
import { formatElapsed } from "../text/duration";

/**
 * One runner per database at a time: a session-level advisory lock. A second runner waits up to
 * the stack's `lockWait`, then gives up with a message naming who holds the lock. Because the lock
 * is held for the whole run and the history is read after taking it, a migration is never
 * applied twice.
 */

/** The advisory lock key: the same for every dbpipe runner on a database (advisory locks are per database). */
export const ADVISORY_LOCK_KEY = 7_305_147_392_751_013_421n;

/**
 * How often, in ms, the server checks that the runner is still connected while one of its
 * migration's statements runs (PostgreSQL 14+'s `client_connection_check_interval`). Without it, a
 * runner killed part-way through a long statement (SIGKILL, a cancelled CI job) leaves that
 * statement running on the server to its end, and its session, holding the run lock, with it: the
 * next run waits for a migration nobody watches, or gives up. With it, the server notices within
 * a second, rolls the migration back and ends the session, which releases the lock.
 */
export const DEAD_RUNNER_CHECK_MS = 1000;

/** The first `server_version_num` with `client_connection_check_interval` (PostgreSQL 14). */
export const DEAD_RUNNER_CHECK_SINCE = 140000;

/**
 * The statement that turns that check on, for the current transaction (`scope` local) or the
 * session (until `RESET ALL`); it does nothing on a server older than PostgreSQL 14.
 */
export function deadRunnerCheck(scope: "local" | "session"): string {
  return `SELECT ${deadRunnerCheckExpression(scope)}`;
}

/** {@link deadRunnerCheck} as an expression, to set it in the same `SELECT` as other settings. */
export function deadRunnerCheckExpression(scope: "local" | "session"): string {
  return `CASE WHEN current_setting('server_version_num')::int >= ${DEAD_RUNNER_CHECK_SINCE} THEN set_config('client_connection_check_interval', '${DEAD_RUNNER_CHECK_MS}', ${scope === "local"}) END`;
}

/** Another runner held the lock for longer than the runner was willing to wait. */
export class LockTimeoutError extends FailureError {}

/** What a front end tells the user when a run starts waiting up to `waitMs` for another run's lock (`onWait` below). */
export function waitingForLockMessage(waitMs: number): string {
  return `waiting for another dbpipe run on this database (up to ${formatElapsed(waitMs)})...`;
}

/**
 * Takes the run's lock, waiting up to `waitMs`; `onWait` is called when it has to wait.
 *
 * The wait is a poll of `pg_try_advisory_lock`, not a blocking `pg_advisory_lock`: a blocked call
 * keeps a transaction open, and the runner holding the lock may be building an index
 * CONCURRENTLY, which waits for every open transaction to end. The two would deadlock.
 */
export async function acquireRunLock(client: Client, waitMs: number, onWait?: () => void): Promise<void> {
  const deadline = Date.now() + waitMs;
  let pause = 50;
  for (let attempt = 0; ; attempt++) {
    const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS locked", [ADVISORY_LOCK_KEY.toString()]);
    if (rows[0].locked) return;
    if (attempt === 0) onWait?.();
    const left = deadline - Date.now();
    if (left <= 0) {
      const holder = await describeHolder(client);
      throw new LockTimeoutError(
        `another dbpipe run holds the migration lock on this database${holder} and did not finish within ${formatElapsed(waitMs)}; ` +
          "try again when it is done (raise dbpipe:lockWait to wait longer)",
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    pause = Math.min(pause * 2, 1000);
  }
}

/** Releases the run's lock. */
export async function releaseRunLock(client: Client): Promise<void> {
  await client.query("SELECT pg_advisory_unlock($1::bigint)", [ADVISORY_LOCK_KEY.toString()]);
}

async function describeHolder(client: Client): Promise<string> {
  const { rows } = await client.query<{ pid: number; application_name: string; client_addr: string | null; started: Date | null }>(
    `SELECT a.pid, a.application_name, host(a.client_addr) AS client_addr, a.xact_start AS started
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 1`,
    [(ADVISORY_LOCK_KEY >> 32n).toString(), (ADVISORY_LOCK_KEY & 0xffffffffn).toString()],
  );
  if (rows.length === 0) return "";
  const h = rows[0];
  return ` (server pid ${h.pid}${h.application_name ? `, ${h.application_name}` : ""}${h.client_addr ? ` from ${h.client_addr}` : ""})`;
}

