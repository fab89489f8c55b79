import { spawn } from "node:child_process";
import type { Client } from "pg";
import { FailureError, InputError } from "../errors";
import { redactText } from "../redact";
import { writeWhole } from "./dump-file";
import { DumpMeter, type DumpReader } from "./dump-meter";
import { PgDumpError, type PgTool, connectionFor, findPgTool } from "./pg-dump";
import type { BackupManifest, BackupStore } from "./store";

/**
 * Restoring a backup into a database: the dump's size and sha256 are checked against its manifest
 * before the restore can commit, a target that already holds objects is refused unless forced, and
 * pg_restore runs in one transaction, so a failing restore leaves the target as it was. The dump
 * streams into pg_restore as it is read (from the folder or the bucket alike), its last bytes held
 * back until the check passes: one pass over the dump.
 */

/** What is being done, for progress: the dump is restored as it is read and checked, in one phase. */
export type RestorePhase = "restoring";

/** How far a restore has got. */
export interface RestoreProgress {
  /** What is running. */
  phase: RestorePhase;
  /** Bytes of the dump read so far in this phase. */
  bytes: number;
  /** The dump's size. */
  total: number;
  /** Time since the phase started, in ms. */
  elapsedMs: number;
}

/** Options of {@link restoreBackup}. */
export interface RestoreOptions {
  /** The database to restore into (with its password: it reaches pg_restore through its environment). */
  to: string;
  /** A connection to it, to check it is empty and read the server's version. */
  client: Client;
  /** Restore into a database that already holds objects: pg_restore `--clean --if-exists` drops what the dump recreates. Default false. */
  force?: boolean;
  /** Called as the dump is read, checked and restored. */
  onProgress?(progress: RestoreProgress): void;
}

/** What a restore did. */
export interface RestoreResult {
  /** The backup restored. */
  manifest: BackupManifest;
  /** How long pg_restore took, in ms. */
  restoreMs: number;
}

/** The backup's dump does not match its manifest: it is damaged or was replaced. */
export class BackupIntegrityError extends FailureError {}

/**
 * Restores backup `id` of `store` into the database `options.to`: checks the target (refusing a
 * non-empty one unless `force`), finds a pg_restore able to read the dump and write to the server,
 * and runs it on the dump, which must have the manifest's size and sha256, checked as it streams in
 * (see {@link restoreStreamed}).
 */
export async function restoreBackup(store: BackupStore, id: string, options: RestoreOptions): Promise<RestoreResult> {
  const { manifest, dump, location } = await store.open(id);
  try {
    const contents = await databaseContents(options.client);
    if (contents.length > 0 && !options.force) {
      dump.destroy();
      const shown = contents.slice(0, 5).join(", ") + (contents.length > 5 ? `, and ${contents.length - 5} more` : "");
      throw new InputError(
        `the target database is not empty (${shown}): restore into an empty database, or add --force to drop and recreate what the backup holds (other objects stay)`,
      );
    }
    const { rows } = await options.client.query<{ num: string }>("SELECT current_setting('server_version_num') AS num");
    const targetMajor = Math.floor(Number(rows[0].num) / 10000);
    // pg_restore must read the archive pg_dump wrote and talk to the target server.
    const pgRestore = findPgTool("pg_restore", Math.max(targetMajor, Number.parseInt(manifest.pgDumpVersion, 10) || 0));

    return { manifest, restoreMs: await restoreStreamed(store, id, manifest, dump, location, pgRestore, options) };
  } finally {
    dump.destroy();
  }
}

/** Bytes at the end of a streamed dump that pg_restore is given only once the dump's size and sha256 match its manifest. */
export const HELD_BYTES = 1024 * 1024;

/**
 * Restores a dump as it is read (from a file or a download): pg_restore reads it as it arrives while its size and sha256
 * are counted, but its last {@link HELD_BYTES} bytes (and anything past the manifest's size) are
 * held back until the whole dump matches the manifest. pg_restore cannot read the archive to its
 * end before that, so it cannot finish, nor commit its one transaction; on a mismatch (or a failed
 * download) it is killed and the server rolls the transaction back. A pg_restore that fails
 * first is reported as damage when the rest of the dump does not match either. The dump's chunks
 * (which may be lent) are copied into one buffer of twice {@link HELD_BYTES}, allocated once: when
 * it is full, all but its last {@link HELD_BYTES} go to pg_restore (and are taken before the buffer
 * is written into again), so memory stays the same however large the dump. A folder's dump is read
 * this way too, once (it used to be read twice: a sha256 pass, then pg_restore fed from the file).
 * Resolves to the time taken, ms.
 */
async function restoreStreamed(
  store: BackupStore,
  id: string,
  manifest: BackupManifest,
  dump: DumpReader,
  location: string | undefined,
  pgRestore: PgTool,
  options: RestoreOptions,
): Promise<number> {
  const started = performance.now();
  const meter = new DumpMeter((bytes) => options.onProgress?.({ phase: "restoring", bytes, total: manifest.bytes, elapsedMs: performance.now() - started }));
  const restore = startPgRestore(pgRestore, options);
  const held = Buffer.allocUnsafeSlow(2 * HELD_BYTES);
  let heldBytes = 0;
  let feeding = true;
  try {
    try {
      for await (const chunk of dump) {
        meter.add(chunk);
        if (!feeding) continue;
        if (meter.bytes > manifest.bytes) {
          // Longer than the manifest says: damaged whatever follows; read on for the message.
          feeding = false;
          restore.kill();
          heldBytes = 0;
          continue;
        }
        for (let at = 0; at < chunk.length && feeding; ) {
          const n = Math.min(chunk.length - at, held.length - heldBytes);
          chunk.copy(held, heldBytes, at, at + n);
          heldBytes += n;
          at += n;
          if (heldBytes < held.length) continue;
          // Full: pg_restore gets all but the last HELD_BYTES, and has taken them when the write
          // resolves; those are then moved to the front. pg_restore gone (it failed): read on,
          // to tell damage from its own failure.
          if (!(await restore.write(held.subarray(0, held.length - HELD_BYTES)))) feeding = false;
          held.copyWithin(0, held.length - HELD_BYTES);
          heldBytes = HELD_BYTES;
        }
      }
    } catch (error) {
      throw new FailureError(`could not read backup ${id} from ${store.url}: ${(error as Error).message}`, { cause: error });
    }
    checkIntegrity(store, id, manifest, location, meter.bytes, meter.sha256());
    if (feeding && heldBytes > 0) await restore.write(held.subarray(0, heldBytes));
    restore.end();
    await restore.finished();
    return Math.round(performance.now() - started);
  } finally {
    // Whatever failed, pg_restore must not go on (a no-op once it has exited).
    restore.kill();
    await restore.exited;
  }
}

/** Throws a BackupIntegrityError unless the dump read has the manifest's size and sha256; the message names the dump's `location` when known. */
function checkIntegrity(store: BackupStore, id: string, manifest: BackupManifest, location: string | undefined, bytes: number, sha256: string): void {
  if (bytes !== manifest.bytes || sha256 !== manifest.sha256) {
    throw new BackupIntegrityError(
      `backup ${id} in ${store.url} is damaged: its dump${location ? ` ${location}` : ""} has ${bytes} bytes with sha256 ${sha256}, its manifest says ${manifest.bytes} bytes with sha256 ${manifest.sha256}; nothing was restored`,
    );
  }
}

/**
 * What a database holds besides the system's own: its schemas other than an empty `public`, and
 * its tables, views, sequences and functions, as `schema.name` (`kind`) — empty for a new database.
 */
export async function databaseContents(client: Client): Promise<string[]> {
  const { rows } = await client.query<{ what: string }>(`
    SELECT format('%I.%I (%s)', n.nspname, c.relname,
             CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                            WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table' ELSE 'relation' END) AS what
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
       AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('%I.%I() (function)', n.nspname, p.proname)
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('%I (schema)', n.nspname)
      FROM pg_namespace n
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND n.nspname NOT LIKE 'pg\\_%'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = n.oid AND d.deptype = 'e')
    ORDER BY 1`);
  return rows.map((r) => r.what);
}

/** A running pg_restore, fed through its stdin. */
interface RunningRestore {
  /** Writes `chunk` and waits until pg_restore has taken it (a lent chunk can then be reused); false when pg_restore is gone. */
  write(chunk: Buffer): Promise<boolean>;
  /** Ends its input. */
  end(): void;
  /** Kills it, when it still runs: its connection drops and the server rolls its transaction back. */
  kill(): void;
  /** Its exit code (null when killed). */
  exited: Promise<number | null>;
  /** Resolves when it exited 0; else rejects with its message (password removed). */
  finished(): Promise<void>;
}

/** Starts pg_restore reading an archive from its stdin (so progress can be counted): one transaction, stopping at the first error. */
function startPgRestore(pgRestore: PgTool, options: RestoreOptions): RunningRestore {
  const { dbname, env, password } = connectionFor(options.to);
  const args = ["--no-password", "--no-owner", "--single-transaction", "--exit-on-error", `--dbname=${dbname}`, ...(options.force ? ["--clean", "--if-exists"] : [])];
  const child = spawn(pgRestore.path, args, { env, stdio: ["pipe", "ignore", "pipe"] });
  let err = "";
  child.stderr.on("data", (d) => (err = (err + d).slice(-8000)));
  let spawnError: Error | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.on("error", (error) => {
      spawnError = error;
      resolve(null);
    });
    child.on("close", (code) => resolve(code));
  });
  // pg_restore exiting early (an error) closes its stdin: that is reported by its exit, not as EPIPE.
  child.stdin.on("error", () => undefined);
  return {
    write: (chunk) =>
      child.stdin.destroyed || child.stdin.writableEnded ? Promise.resolve(false) : writeWhole(child.stdin, chunk).then(() => true, () => false),
    end: () => {
      if (!child.stdin.destroyed) child.stdin.end();
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) child.kill("SIGKILL");
      child.stdin.destroy();
    },
    exited,
    finished: async () => {
      const code = await exited;
      if (spawnError) throw new PgDumpError(`could not run ${pgRestore.path}: ${spawnError.message}`);
      if (code !== 0) {
        throw new PgDumpError(`pg_restore failed (exit ${code}); the restore ran in one transaction, so nothing of it was kept: ${redactText(err.trim(), [password]) || "no message"}`);
      }
    },
  };
}
