import * as fs from "node:fs";
import * as path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import { FailureError, InputError } from "../errors";
import { DumpMeter } from "./dump-meter";
import { type BackupManifest, type BackupStore, type StoredBackup, type StoredFacts, checkBackupId, parseManifest } from "./store";

/**
 * Backups in a local folder (`file:///abs/path`), the CLI's default: `.dbpipe/<stack>/backups/`.
 * Each backup is `<id>.dump` (pg_dump's custom format) beside `<id>.json`, its manifest. The dump is
 * written as `<id>.dump.partial` and renamed once whole; the manifest comes last, so a killed run
 * leaves at most a `.partial` file, never something that lists as a backup. Files are private to
 * their owner (0600, folder 0700): a dump holds every row of the database.
 *
 * With `retentionDays`, every backup stored prunes the ones older than that (the bucket's lifecycle
 * rule does the same in the cloud).
 */

/** Options of a {@link FolderStore}. */
export interface FolderStoreOptions {
  /** Backups older than this many days are deleted after each new one is stored. Default: kept forever. */
  retentionDays?: number;
  /**
   * The folder that `ref`s are relative to (`file:.dbpipe/dev/backups/<id>.dump`), so the history
   * does not record this machine's absolute paths. Default: refs hold the absolute path.
   */
  refBase?: string;
  /** The clock, for retention. Default `Date.now`. */
  now?: () => number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A {@link BackupStore} in a local folder. */
export class FolderStore implements BackupStore {
  readonly url: string;

  constructor(
    /** The folder, absolute. */
    readonly folder: string,
    private readonly options: FolderStoreOptions = {},
  ) {
    if (!path.isAbsolute(folder)) throw new InputError(`a backup folder must be an absolute path, got ${JSON.stringify(folder)}`);
    this.url = pathToFileURL(folder).toString();
  }

  async put(id: string, dump: Readable, describe: (facts: StoredFacts) => BackupManifest): Promise<StoredBackup> {
    checkBackupId(id);
    const file = this.dumpFile(id);
    if (fs.existsSync(file) || fs.existsSync(this.manifestFile(id))) throw new InputError(`backup ${id} already exists in ${this.url}`);
    fs.mkdirSync(this.folder, { recursive: true, mode: 0o700 });
    const partial = `${file}.partial`;
    const meter = new DumpMeter();
    try {
      await pipeline(dump, meter, fs.createWriteStream(partial, { mode: 0o600, flags: "wx" }));
      fs.renameSync(partial, file);
    } catch (error) {
      fs.rmSync(partial, { force: true });
      if (error instanceof FailureError || error instanceof InputError) throw error;
      throw new FailureError(`could not write backup ${id} to ${this.folder}: ${(error as Error).message}`, { cause: error });
    }
    const manifest = describe({ bytes: meter.bytes, sha256: meter.sha256() });
    const written = `${this.manifestFile(id)}.partial`;
    try {
      fs.writeFileSync(written, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
      fs.renameSync(written, this.manifestFile(id));
    } catch (error) {
      // A dump without its manifest is no backup (a full disk, most likely): remove both.
      fs.rmSync(written, { force: true });
      fs.rmSync(file, { force: true });
      throw new FailureError(`could not write the manifest of backup ${id} to ${this.folder}: ${(error as Error).message}`, { cause: error });
    }
    const stored = { manifest, ref: this.refOf(id) };
    if (this.options.retentionDays !== undefined) await this.prune(this.options.retentionDays, id);
    return stored;
  }

  async open(id: string): Promise<{ manifest: BackupManifest; dump: Readable }> {
    checkBackupId(id);
    const manifest = this.readManifest(id);
    if (!manifest || !fs.existsSync(this.dumpFile(id))) throw new InputError(`there is no backup ${id} in ${this.url}${this.hint()}`);
    return { manifest, dump: fs.createReadStream(this.dumpFile(id), { highWaterMark: 1024 * 1024 }) };
  }

  async list(): Promise<StoredBackup[]> {
    let names: string[];
    try {
      names = fs.readdirSync(this.folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw new FailureError(`could not read the backup folder ${this.folder}: ${(error as Error).message}`, { cause: error });
    }
    const backups: StoredBackup[] = [];
    for (const name of names) {
      if (!name.endsWith(".json")) continue;
      const id = name.slice(0, -".json".length);
      const manifest = this.readManifest(id);
      if (manifest && fs.existsSync(this.dumpFile(id))) backups.push({ manifest, ref: this.refOf(id) });
    }
    return backups.sort((a, b) => b.manifest.createdAt.localeCompare(a.manifest.createdAt) || b.manifest.id.localeCompare(a.manifest.id));
  }

  async delete(id: string): Promise<void> {
    checkBackupId(id);
    // The manifest first: a dump without one is not a backup, whatever happens next.
    fs.rmSync(this.manifestFile(id), { force: true });
    fs.rmSync(this.dumpFile(id), { force: true });
  }

  localPath(id: string): string | undefined {
    checkBackupId(id);
    return fs.existsSync(this.dumpFile(id)) ? this.dumpFile(id) : undefined;
  }

  /**
   * Deletes the backups created more than `days` days ago (never `keep`, the one just taken), and
   * `.partial` files that old (left by killed runs). Returns the ids it deleted.
   */
  async prune(days: number, keep?: string): Promise<string[]> {
    const cutoff = (this.options.now ?? Date.now)() - days * DAY_MS;
    const deleted: string[] = [];
    for (const backup of await this.list()) {
      const created = Date.parse(backup.manifest.createdAt);
      if (backup.manifest.id !== keep && Number.isFinite(created) && created < cutoff) {
        await this.delete(backup.manifest.id);
        deleted.push(backup.manifest.id);
      }
    }
    for (const name of fs.readdirSync(this.folder)) {
      if (!name.endsWith(".partial")) continue;
      const file = path.join(this.folder, name);
      if (fs.statSync(file).mtimeMs < cutoff) fs.rmSync(file, { force: true });
    }
    return deleted;
  }

  private dumpFile(id: string): string {
    return path.join(this.folder, `${id}.dump`);
  }

  private manifestFile(id: string): string {
    return path.join(this.folder, `${id}.json`);
  }

  private refOf(id: string): string {
    const file = this.dumpFile(id);
    return `file:${this.options.refBase ? path.relative(this.options.refBase, file) : file}`;
  }

  private readManifest(id: string): BackupManifest | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.manifestFile(id), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new FailureError(`could not read ${this.manifestFile(id)}: ${(error as Error).message}`, { cause: error });
    }
    return parseManifest(text, this.manifestFile(id));
  }

  private hint(): string {
    return " (dbpipe backups lists them)";
  }
}
