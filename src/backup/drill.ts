import { randomBytes } from "node:crypto";
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
  /** True when both have the same tables with the same row counts. */
  matches: boolean;
  /** How long the restore took, in ms. */
  restoreMs: number;
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
  const scratch = `${rows[0].db.slice(0, 40)}_drill_${randomBytes(4).toString("hex")}`;
  try {
    await options.client.query(`CREATE DATABASE ${quoteIdent(scratch)}`);
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
    await target.connect();
    try {
      const { restoreMs } = await restoreBackup(store, backup.manifest.id, { to: scratchUrl.toString(), client: target, onProgress: options.onProgress });
      const [source, restored] = [await rowCounts(options.client), await rowCounts(target)];
      const names = [...new Set([...source.keys(), ...restored.keys()])].sort();
      const tables = names.map((table) => ({ table, sourceRows: source.get(table) ?? null, restoredRows: restored.get(table) ?? null }));
      return { backup, scratchDatabase: scratch, tables, matches: tables.every((t) => t.sourceRows === t.restoredRows), restoreMs };
    } finally {
      await target.end();
    }
  } finally {
    await options.client.query(`DROP DATABASE IF EXISTS ${quoteIdent(scratch)} WITH (FORCE)`);
  }
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
