import type { Readable } from "node:stream";

/**
 * Where backups go: one interface for every destination (a local folder, an S3 bucket). A store
 * holds dumps, each with a manifest beside it that says what it is; a dump without its manifest is
 * not a backup (an interrupted upload, a killed run) and is never listed or restored.
 */

/** What the manifest beside a dump records. */
export interface BackupManifest {
  /** The backup's id in its store, e.g. `dev-20261201T101500Z-before-0005`. */
  id: string;
  /** The stack. */
  stack: string;
  /** When the dump finished (ISO 8601). */
  createdAt: string;
  /** The newest applied migration when the dump was taken; null for an empty history. */
  head: string | null;
  /** The migrations it was taken before, in order (empty for a backup taken on demand). */
  before: { version: string; name: string; checksum: string }[];
  /** The dump's size in bytes. */
  bytes: number;
  /** The dump's sha256, checked before every restore. */
  sha256: string;
  /** The pg_dump that made it. */
  pgDumpVersion: string;
  /** The server's version (`server_version`). */
  serverVersion: string;
  /** The server's major version. */
  serverMajor: number;
  /** The dump's format: pg_dump's custom format, for pg_restore. */
  format: "custom";
  /** How to restore it by hand. */
  restore: string;
}

/** The part of a manifest the store fills in itself, from what it wrote. */
export type StoredFacts = Pick<BackupManifest, "bytes" | "sha256">;

/** A backup in a store. */
export interface StoredBackup {
  /** Its manifest. */
  manifest: BackupManifest;
  /** Where it is, as the history's `backup_ref` records it: `file:<path>` or `s3://bucket/key`. */
  ref: string;
}

/** A destination for backups. Implementations: the local folder, the S3 bucket. */
export interface BackupStore {
  /** The store's location, safe to print: `file:///abs/path` or `s3://bucket/prefix`. Never holds a secret. */
  readonly url: string;
  /**
   * Streams `dump` into the store as backup `id` with constant memory, counting its bytes and
   * sha256 on the way, then writes the manifest that `describe` returns for them. The manifest is
   * written only after the whole dump is stored: a failure part way leaves no manifest (and removes
   * the partial dump where it can).
   */
  put(id: string, dump: Readable, describe: (facts: StoredFacts) => BackupManifest): Promise<StoredBackup>;
  /** The backup `id`: its manifest and a stream of its dump. Fails with an InputError naming the id when there is none. */
  open(id: string): Promise<{ manifest: BackupManifest; dump: Readable }>;
  /** Every complete backup (those with a manifest), newest first. */
  list(): Promise<StoredBackup[]>;
  /** Deletes backup `id`: its dump and its manifest. */
  delete(id: string): Promise<void>;
}
