import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Client } from "pg";
import { FailureError, InputError } from "../errors";
import { redactText } from "../redact";
import { fileChunks, writeChunksToFile, writeWhole } from "./dump-file";
import { DumpMeter, countBytes } from "./dump-meter";
import { PgDumpError, type PgTool, connectionFor, findPgTool } from "./pg-dump";
import type { BackupManifest, BackupStore } from "./store";

/**
 * Restoring a backup into a database: the dump's sha256 is checked against its manifest before
 * anything is restored, a target that already holds objects is refused unless forced, and
 * pg_restore runs in one transaction, so a failing restore leaves the target as it was.
 */

/** What is being done, for progress. */
export type RestorePhase = "verifying" | "downloading" | "restoring";

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
  /** Called as the dump is verified, downloaded and restored. */
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
 * verifies the dump's size and sha256 against the manifest, then runs pg_restore.
 */
export async function restoreBackup(store: BackupStore, id: string, options: RestoreOptions): Promise<RestoreResult> {
  const { manifest, dump } = await store.open(id);
  let spooled: string | undefined;
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

    // Verify first, restore after: a damaged dump must not get half restored. A local dump is
    // read in place; anything else is downloaded to a private temporary file as it is hashed.
    const local = store.localPath?.(id);
    let file: string;
    const meterPhase = local ? "verifying" : "downloading";
    const started = performance.now();
    const meter = new DumpMeter((bytes) => options.onProgress?.({ phase: meterPhase, bytes, total: manifest.bytes, elapsedMs: performance.now() - started }));
    if (local) {
      dump.destroy();
      for await (const chunk of fileChunks(local)) meter.add(chunk);
      file = local;
    } else {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-restore-"));
      spooled = path.join(dir, `${id}.dump`);
      try {
        await writeChunksToFile(spooled, meter.through(dump), "w");
      } catch (error) {
        throw new FailureError(`could not download backup ${id} from ${store.url}: ${(error as Error).message}`, { cause: error });
      }
      file = spooled;
    }
    const sha256 = meter.sha256();
    if (meter.bytes !== manifest.bytes || sha256 !== manifest.sha256) {
      throw new BackupIntegrityError(
        `backup ${id} in ${store.url} is damaged: its dump has ${meter.bytes} bytes with sha256 ${sha256}, its manifest says ${manifest.bytes} bytes with sha256 ${manifest.sha256}; nothing was restored`,
      );
    }
    const restoreStarted = performance.now();
    await runPgRestore(pgRestore, file, options, manifest.bytes);
    return { manifest, restoreMs: Math.round(performance.now() - restoreStarted) };
  } finally {
    dump.destroy();
    if (spooled) fs.rmSync(path.dirname(spooled), { recursive: true, force: true });
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

/** Runs pg_restore on `file`, fed through its stdin so progress can be counted; one transaction, stops at the first error. */
async function runPgRestore(pgRestore: PgTool, file: string, options: RestoreOptions, total: number): Promise<void> {
  const { dbname, env, password } = connectionFor(options.to);
  const args = ["--no-password", "--no-owner", "--single-transaction", "--exit-on-error", `--dbname=${dbname}`, ...(options.force ? ["--clean", "--if-exists"] : [])];
  const child = spawn(pgRestore.path, args, { env, stdio: ["pipe", "ignore", "pipe"] });
  let err = "";
  child.stderr.on("data", (d) => (err = (err + d).slice(-8000)));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on("error", (error) => reject(new PgDumpError(`could not run ${pgRestore.path}: ${error.message}`)));
    child.on("close", (code) => resolve(code));
  });
  const started = performance.now();
  // pg_restore exiting early (an error) closes its stdin: that is reported by its exit, not as EPIPE.
  child.stdin.on("error", () => undefined);
  const feed = async () => {
    // Each chunk is written whole before the buffer is filled again: memory is one chunk.
    for await (const chunk of countBytes(fileChunks(file), (bytes) => options.onProgress?.({ phase: "restoring", bytes, total, elapsedMs: performance.now() - started }))) {
      await writeWhole(child.stdin, chunk);
    }
    child.stdin.end();
  };
  const fed = feed().catch(() => child.stdin.destroy());
  const code = await exited;
  await fed;
  if (code !== 0) {
    throw new PgDumpError(`pg_restore failed (exit ${code}); the restore ran in one transaction, so nothing of it was kept: ${redactText(err.trim(), [password]) || "no message"}`);
  }
}
