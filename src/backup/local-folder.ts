import * as fs from "node:fs";
import * as path from "node:path";
import type { Client } from "pg";
import type { Migration } from "../migration";
import { type DumpResult, dumpToFile, findPgDump, serverMajor } from "./pg-dump";

/**
 * Pre-migration backups to a local folder, as the CLI takes them: `<folder>/<stack>-<time>-before-
 * <version>.dump` (pg_dump custom format, restore with pg_restore) beside a JSON manifest that
 * says what it is. Superseded by `takeBackup` into a `BackupStore` (`take-backup.ts`,
 * `folder-store.ts`, `s3-store.ts`), which every front end moves to; kept until `up` and `down` do.
 */

/** What the manifest beside a dump records. */
export interface BackupManifest {
  /** The stack. */
  stack: string;
  /** When the dump finished (ISO 8601). */
  createdAt: string;
  /** The migrations it was taken before, in order. */
  before: { version: string; name: string; checksum: string }[];
  /** The dump file's name. */
  file: string;
  /** Its size. */
  bytes: number;
  /** Its sha256. */
  sha256: string;
  /** The pg_dump that made it. */
  pgDumpVersion: string;
  /** The server's major version. */
  serverMajor: number;
  /** How to restore it. */
  restore: string;
}

/** A finished backup. */
export interface Backup {
  /** What the history records as `backup_ref`. */
  ref: string;
  /** The dump. */
  dump: DumpResult;
  /** The manifest. */
  manifest: BackupManifest;
}

/** Dumps the database before `pending` runs. Checks pg_dump against the server first. */
export async function backupToFolder(options: { folder: string; stack: string; url: string; client: Client; pending: readonly Migration[]; refBase?: string }): Promise<Backup> {
  const major = await serverMajor(options.client);
  const pgDump = findPgDump(major);
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const name = `${options.stack}-${stamp}-before-${options.pending[0].version}.dump`;
  const file = path.join(options.folder, name);
  const dump = await dumpToFile(pgDump, options.url, file);
  const manifest: BackupManifest = {
    stack: options.stack,
    createdAt: new Date().toISOString(),
    before: options.pending.map((m) => ({ version: m.version, name: m.name, checksum: m.checksum })),
    file: name,
    bytes: dump.bytes,
    sha256: dump.sha256,
    pgDumpVersion: pgDump.version,
    serverMajor: major,
    restore: `pg_restore --clean --if-exists --no-owner --dbname <url> ${name}`,
  };
  fs.writeFileSync(`${file}.json`, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  const shown = options.refBase ? path.relative(options.refBase, file) : file;
  return { ref: `file:${shown}`, dump, manifest };
}
