import type { Client } from "pg";
import { countBytes } from "./dump-meter";
import { findPgDump, pgDumpChunks } from "./pg-dump";
import type { BackupManifest, BackupStore, StoredBackup } from "./store";

/**
 * Taking a backup: `pg_dump -Fc` of the database streamed into a store, with constant memory, and
 * its manifest beside it. Every front end takes backups through {@link takeBackup}: the pipeline
 * before a risky migration, `dbpipe backup` on demand, the Pulumi resource on `pulumi up`.
 */

/** How far a dump has got. */
export interface BackupProgress {
  /** Bytes of the dump stored so far. */
  bytes: number;
  /** Time since the dump started, in ms. */
  elapsedMs: number;
}

/** Options of {@link takeBackup}. */
export interface TakeBackupOptions {
  /** The database to dump (with its password: it reaches pg_dump through its environment, never its arguments). */
  url: string;
  /** A connection to the same database, to read the server's version. */
  client: Client;
  /** The stack, recorded in the manifest and the id. */
  stack: string;
  /** The migrations about to run, in order; empty for a backup on demand. */
  pending: readonly { version: string; name: string; checksum: string }[];
  /** The newest applied migration, or null for an empty history. */
  head: string | null;
  /** Called as the dump flows into the store. */
  onProgress?(progress: BackupProgress): void;
  /** The clock, for the id and the manifest's time. Default `() => new Date()`. */
  now?: () => Date;
}

/**
 * Checks that pg_dump can dump this server (its major version at least the server's; the error
 * says what to install), then streams `pg_dump -Fc` into `store` as a new backup and returns it.
 * A failure part way (pg_dump failing, the store failing) leaves no manifest, so nothing lists as a
 * backup that is not whole.
 */
export async function takeBackup(store: BackupStore, options: TakeBackupOptions): Promise<StoredBackup> {
  const { rows } = await options.client.query<{ num: string; version: string }>(
    "SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version",
  );
  const serverMajor = Math.floor(Number(rows[0].num) / 10000);
  const serverVersion = rows[0].version.split(" ")[0];
  const pgDump = findPgDump(serverMajor);
  const now = options.now ?? (() => new Date());
  const id = backupId(options.stack, now(), options.pending[0]?.version);
  const started = performance.now();
  // pg_dump failing fails the store's read; a store that stops reading stops pg_dump.
  const dump = pgDumpChunks(pgDump, options.url);
  const counted = options.onProgress ? countBytes(dump, (bytes) => options.onProgress?.({ bytes, elapsedMs: performance.now() - started })) : dump;
  return store.put(id, counted, (facts): BackupManifest => ({
    id,
    stack: options.stack,
    createdAt: now().toISOString(),
    head: options.head,
    before: options.pending.map((m) => ({ version: m.version, name: m.name, checksum: m.checksum })),
    bytes: facts.bytes,
    sha256: facts.sha256,
    pgDumpVersion: pgDump.version,
    serverVersion,
    serverMajor,
    format: "custom",
    restore: `dbpipe restore ${id} --to <url>, or by hand: pg_restore --no-owner --dbname <url> ${id}.dump`,
  }));
}

/**
 * A new backup's id: `<stack>-<UTC time to the millisecond>[-before-<version>]`, e.g.
 * `prod-20261201T101500.123Z-before-0005`. Sorting ids of one stack sorts them by time.
 */
export function backupId(stack: string, at: Date, beforeVersion?: string): string {
  const stamp = at.toISOString().replace(/[-:]/g, "");
  const safeStack = stack.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "") || "stack";
  return `${safeStack}-${stamp}${beforeVersion ? `-before-${beforeVersion.replace(/[^A-Za-z0-9._-]+/g, "-")}` : ""}`;
}
