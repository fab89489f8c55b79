import { InputError } from "../errors";
import type { DumpChunks, DumpReader } from "./dump-meter";

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
   * Streams `dump` (its chunks may be lent: each is used before the next is asked for) into the
   * store as backup `id` with memory bounded by the store's settings, counting its bytes and
   * sha256 on the way, then writes the manifest that `describe` returns for them. The manifest is
   * written only after the whole dump is stored: a failure part way (the iteration throwing, the
   * store failing) leaves no manifest (and removes the partial dump where it can); a store that
   * fails stops the iteration, which stops pg_dump.
   */
  put(id: string, dump: DumpChunks, describe: (facts: StoredFacts) => BackupManifest): Promise<StoredBackup>;
  /**
   * The backup `id`: its manifest, its dump's chunks (which may be lent: each used or copied before
   * the next is asked for), and where the dump is, for messages (its file's path,
   * `s3://bucket/key`). Fails with an InputError naming the id when there is none.
   */
  open(id: string): Promise<{ manifest: BackupManifest; dump: DumpReader; location?: string }>;
  /** Every complete backup (those with a manifest), newest first. */
  list(): Promise<StoredBackup[]>;
  /** Deletes backup `id`: its dump and its manifest. */
  delete(id: string): Promise<void>;
}

/** What a backup id may hold: it names files and object keys, so no `/`, no `..`, nothing odd. */
const BACKUP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** Refuses an id that cannot name a backup (an InputError naming it). */
export function checkBackupId(id: string): void {
  if (!BACKUP_ID.test(id) || id.includes("..")) {
    throw new InputError(`${JSON.stringify(id)} is not a backup id: ids are letters, digits, '.', '_' and '-' (dbpipe backups lists them)`);
  }
}

/** Parses a manifest's text, checking the fields a restore relies on; an InputError names `source` and the field. */
export function parseManifest(text: string, source: string): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${source} is not a backup manifest: ${(error as Error).message}`);
  }
  const m = value as Partial<BackupManifest> | null;
  const bad = (field: string) => new InputError(`${source} is not a backup manifest: ${field} is missing or invalid`);
  if (typeof m !== "object" || m === null) throw bad("the document");
  if (typeof m.id !== "string") throw bad("id");
  if (typeof m.stack !== "string") throw bad("stack");
  if (typeof m.createdAt !== "string" || !Number.isFinite(Date.parse(m.createdAt))) throw bad("createdAt");
  if (typeof m.bytes !== "number") throw bad("bytes");
  if (typeof m.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(m.sha256)) throw bad("sha256");
  if (m.head !== null && typeof m.head !== "string") throw bad("head");
  if (!Array.isArray(m.before)) throw bad("before");
  return m as BackupManifest;
}

/** Where a listed backup's files (or objects) are, for the warnings of {@link listedManifest}. */
export interface ListedPlace {
  /** The dump, as shown: a path or an `s3://` URL. */
  dump: string;
  /** The manifest beside it, as shown. */
  manifest: string;
  /** `files` or `objects`: what the two are called. */
  things: string;
}

/**
 * The manifest of backup `id` (whose dump exists), for a listing: undefined when `read` finds none,
 * or when it cannot be used — `read` failed with an error `damaged` accepts (a manifest cut short,
 * edited, not dbpipe's), or it names another backup (listing it as `id` would make a restore, or
 * retention, act on the other's files). Each unusable one is told to `warn`, and left as it is.
 */
export async function listedManifest(
  id: string,
  read: () => BackupManifest | undefined | Promise<BackupManifest | undefined>,
  place: ListedPlace,
  warn: ((message: string) => void) | undefined,
  damaged: (error: unknown) => boolean = () => true,
): Promise<BackupManifest | undefined> {
  let manifest: BackupManifest | undefined;
  try {
    manifest = await read();
  } catch (error) {
    if (!damaged(error)) throw error;
    warn?.(`${place.dump} is not listed as a backup: ${(error as Error).message}; dbpipe leaves both ${place.things} as they are (pg_restore can still read the dump by hand)`);
    return undefined;
  }
  if (manifest && manifest.id !== id) {
    warn?.(`${place.dump} is not listed as a backup: its manifest ${place.manifest} names backup ${JSON.stringify(manifest.id)}; dbpipe leaves both ${place.things} as they are`);
    return undefined;
  }
  return manifest;
}

/** Backups newest first (then by id, for backups taken in the same millisecond): how every store lists them. */
export function newestFirst(backups: StoredBackup[]): StoredBackup[] {
  return backups.sort((a, b) => b.manifest.createdAt.localeCompare(a.manifest.createdAt) || b.manifest.id.localeCompare(a.manifest.id));
}
