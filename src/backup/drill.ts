import { randomBytes } from "node:crypto";
import * as os from "node:os";
import type { Client } from "pg";
import { FailureError, InputError } from "../errors";
import { loadPg } from "../pg";
import { nodePostgresConnectionString } from "../tls";
import { type RestoreProgress, restoreBackup } from "./restore";
import type { BackupStore, StoredBackup } from "./store";

/**
 * A restore drill: a backup is only as good as its last restore. The newest backup is restored
 * into a scratch database beside the source, each table's rows are counted in both, the scratch
 * database is dropped, and the comparison is reported.
 *
 * The scratch database is `<source>_drill_<8 hex>` (the source's name cut to 40 characters). It is
 * dropped however the drill ends: a failure, or a signal that would end the process (Ctrl-C,
 * SIGTERM, a closed terminal), which drops it first and then ends the process as it would have.
 * What a drill still leaves (SIGKILL, a lost connection, a second Ctrl-C) the next drill of the
 * same database drops, never the scratch database of a drill running now: each drill holds an
 * advisory lock named after its scratch database on the source while it exists.
 */

/** One table compared. */
export interface DrillTable {
  /** `schema.table`. */
  table: string;
  /** Rows in the source now; null when the source has no such table. */
  sourceRows: number | null;
  /** Rows in the restored copy; null when the backup has no such table. */
  restoredRows: number | null;
}

/** What a drill found. */
export interface DrillReport {
  /** The backup restored. */
  backup: StoredBackup;
  /** The scratch database it was restored into (dropped again). */
  scratchDatabase: string;
  /** Every table of the source or the copy, by name. */
  tables: DrillTable[];
  /**
   * dbpipe's own history, when the caller named it: compared by its head, not its rows. A backup
   * taken before a migration holds the history as it was then, so the source's has more rows by
   * design; what must hold is that the restored history ends where the manifest says.
   */
  history?: { table: string; manifestHead: string | null; restoredHead: string | null };
  /** True when both have the same tables with the same row counts (and the restored history ends at the manifest's head). */
  matches: boolean;
  /** How long the restore took, in ms. */
  restoreMs: number;
  /** Scratch databases of earlier drills of the same database that were left behind (an interrupted run), dropped before this one. */
  leftoversDropped: string[];
}

/** Options of {@link restoreDrill}. */
export interface DrillOptions {
  /** The source database (the stack's), with its password. */
  url: string;
  /** A connection to it: the scratch database is created and dropped through it (CREATEDB needed). */
  client: Client;
  /** Restore this backup rather than the newest. */
  id?: string;
  /** Only consider this stack's backups when the store holds several stacks'. */
  stack?: string;
  /** Called as the restore runs. */
  onProgress?(progress: RestoreProgress): void;
  /** Called once the backup to drill is known. */
  onBackup?(backup: StoredBackup): void;
  /** dbpipe's history table (`schema.table`) and how to read its head: compared by head, left out of the row counts. */
  history?: { table: string; head(client: Client): Promise<string | null> };
}

/** Restores the newest backup (or `options.id`) into a scratch database, compares it with the source, drops it. */
export async function restoreDrill(store: BackupStore, options: DrillOptions): Promise<DrillReport> {
  const all = await store.list();
  const mine = options.stack ? all.filter((b) => b.manifest.stack === options.stack) : all;
  const backup = options.id ? all.find((b) => b.manifest.id === options.id) : (mine.length > 0 ? mine : all)[0];
  if (!backup) {
    throw new InputError(options.id ? `there is no backup ${options.id} in ${store.url} (dbpipe backups lists them)` : `there is no backup to drill in ${store.url}: take one with dbpipe backup`);
  }
  options.onBackup?.(backup);
  const { rows } = await options.client.query<{ db: string }>("SELECT current_database() AS db");
  const prefix = `${rows[0].db.slice(0, 40)}_drill_`;
  const leftoversDropped = await dropLeftovers(options.client, prefix);
  const scratch = `${prefix}${randomBytes(4).toString("hex")}`;
  await options.client.query("SELECT pg_advisory_lock(hashtext($1), hashtext($2))", [DRILL_LOCK, scratch]);
  const created = options.client.query(`CREATE DATABASE ${quoteIdent(scratch)}`);
  const releaseSignals = dropOnSignal(async () => {
    // A CREATE DATABASE under way commits after this; the drop waits for it.
    await created.catch(() => undefined);
    const { Client: PgClient } = loadPg();
    const admin = new PgClient({ connectionString: nodePostgresConnectionString(options.url), application_name: "dbpipe" });
    admin.on("error", () => undefined);
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(scratch)} WITH (FORCE)`);
    } finally {
      await admin.end().catch(() => undefined);
    }
  });
  try {
    try {
      await created;
    } catch (error) {
      if ((error as { code?: string }).code === "42501") {
        throw new FailureError(`the drill restores into a scratch database on the source's server, and this role may not create one (it needs CREATEDB): ${(error as Error).message}`, { cause: error });
      }
      throw error;
    }
    const scratchUrl = new URL(options.url);
    scratchUrl.pathname = `/${encodeURIComponent(scratch)}`;
    const { Client: PgClient } = loadPg();
    try {
      // sslmode and sslrootcert as libpq reads them, as for every other connection dbpipe makes.
      const target = new PgClient({ connectionString: nodePostgresConnectionString(scratchUrl.toString()) });
      // Dropped under it on a signal: the loss surfaces through a failing query, not as a crash.
      target.on("error", () => undefined);
      await target.connect();
      try {
        const { restoreMs } = await restoreBackup(store, backup.manifest.id, { to: scratchUrl.toString(), client: target, onProgress: options.onProgress });
        const [source, restored] = [await rowCounts(options.client), await rowCounts(target)];
        let history: DrillReport["history"];
        if (options.history) {
          source.delete(options.history.table);
          restored.delete(options.history.table);
          history = { table: options.history.table, manifestHead: backup.manifest.head, restoredHead: await options.history.head(target) };
        }
        const names = [...new Set([...source.keys(), ...restored.keys()])].sort();
        const tables = names.map((table) => ({ table, sourceRows: source.get(table) ?? null, restoredRows: restored.get(table) ?? null }));
        const matches = tables.every((t) => t.sourceRows === t.restoredRows) && (!history || history.restoredHead === history.manifestHead);
        return { backup, scratchDatabase: scratch, tables, ...(history ? { history } : {}), matches, restoreMs, leftoversDropped };
      } finally {
        await target.end();
      }
    } finally {
      await options.client.query(`DROP DATABASE IF EXISTS ${quoteIdent(scratch)} WITH (FORCE)`);
    }
  } finally {
    // Interrupted: the process ends once the drop is done, before this drill's own failure (its
    // restore cut off by the drop) is reported.
    await releaseSignals();
    await options.client.query("SELECT pg_advisory_unlock(hashtext($1), hashtext($2))", [DRILL_LOCK, scratch]).catch(() => undefined);
  }
}

/** The advisory lock a drill holds on the source while its scratch database exists: (hashtext of this, hashtext of the scratch database's name). */
const DRILL_LOCK = "dbpipe restore --drill";

/** Signals that end a process by default: Ctrl-C, a CI job's cancellation, a closed terminal. */
const ENDING_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Drops the scratch databases named `<prefix><8 hex>` that no drill is using now (no session holds
 * their lock: the drill that made them was interrupted), and returns their names. One this role may
 * not drop (another role's drill) is left to its owner.
 */
async function dropLeftovers(client: Client, prefix: string): Promise<string[]> {
  const { rows } = await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE left(datname, $1) = $2 ORDER BY 1", [prefix.length, prefix]);
  const dropped: string[] = [];
  for (const { datname } of rows) {
    if (!/^[0-9a-f]{8}$/.test(datname.slice(prefix.length))) continue;
    const { rows: lock } = await client.query<{ free: boolean }>("SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS free", [DRILL_LOCK, datname]);
    if (!lock[0].free) continue;
    try {
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
      dropped.push(datname);
    } catch {
      // Not this role's to drop (42501): its owner's next drill drops it.
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtext($1), hashtext($2))", [DRILL_LOCK, datname]);
    }
  }
  return dropped;
}

/**
 * Until the returned function is called, a signal that ends the process (see {@link ENDING_SIGNALS})
 * first runs `drop`, then goes on as it would have without it: to the handlers that were there
 * (the embedded server's, which exits and stops the server), else exiting with the shell's code for
 * the signal (130 for Ctrl-C), as Node does by default. A second signal while dropping does not wait.
 * The returned function waits for a drop under way (and what follows it) first.
 */
function dropOnSignal(drop: () => Promise<void>): () => Promise<void> {
  const saved = new Map<NodeJS.Signals, ((signal: NodeJS.Signals) => void)[]>();
  let dropping: Promise<void> | undefined;
  const release = () => {
    for (const [signal, listeners] of saved) {
      process.off(signal, onSignal);
      for (const listener of listeners) process.on(signal, listener);
    }
    saved.clear();
  };
  // The handlers a signal goes on to are those there when it came: the drill may end (and release) while dropping.
  const carryOn = (signal: NodeJS.Signals, listeners: readonly ((signal: NodeJS.Signals) => void)[]) => {
    release();
    if (listeners.length === 0) process.exit(128 + os.constants.signals[signal]);
    for (const listener of listeners) listener(signal);
  };
  function onSignal(signal: NodeJS.Signals) {
    const listeners = [...(saved.get(signal) ?? [])];
    if (dropping) return carryOn(signal, listeners);
    dropping = drop()
      .catch(() => undefined)
      .then(() => carryOn(signal, listeners));
  }
  for (const signal of ENDING_SIGNALS) {
    saved.set(signal, process.listeners(signal) as ((signal: NodeJS.Signals) => void)[]);
    process.removeAllListeners(signal);
    process.on(signal, onSignal);
  }
  return async () => {
    await dropping;
    release();
  };
}

/** Exact row counts of every table outside the system schemas, by `schema.table`. */
async function rowCounts(client: Client): Promise<Map<string, number>> {
  const { rows } = await client.query<{ schema: string; name: string }>(`
    SELECT n.nspname AS schema, c.relname AS name
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
     ORDER BY 1, 2`);
  const counts = new Map<string, number>();
  for (const r of rows) {
    const { rows: n } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(r.schema)}.${quoteIdent(r.name)}`);
    counts.set(`${r.schema}.${r.name}`, Number(n[0].n));
  }
  return counts;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
