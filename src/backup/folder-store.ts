import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { FailureError, InputError } from "../errors";
import { processRunning, processStart } from "../local/embedded";
import { fileReader, writeChunksToFile } from "./dump-file";
import { type DumpChunks, DumpMeter, type DumpReader } from "./dump-meter";
import { type BackupManifest, type BackupStore, type StoredBackup, type StoredFacts, checkBackupId, parseManifest } from "./store";

/**
 * Backups in a local folder (`file:///abs/path`), the CLI's default: `.dbpipe/<stack>/backups/`.
 * Each backup is `<id>.dump` (pg_dump's custom format) beside `<id>.json`, its manifest. The dump is
 * written as `<id>.dump.<writer>.partial` and renamed once whole; the manifest comes last, so a
 * killed run leaves at most a `.partial` file, never something that lists as a backup. Files are
 * private to their owner (0600, folder 0700): a dump holds every row of the database.
 *
 * A partial file's name says who writes it (`<pid>-<process start>-<host>`): the next backup or
 * listing removes those whose writer is dead (a killed run), and leaves those of a backup running
 * now in another process, or on another machine sharing the folder, to it (or to retention).
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

/** This machine's name as it goes into a partial file's name: letters, digits and `-` only. */
const HOST = os.hostname().replace(/[^A-Za-z0-9-]+/g, "-") || "host";

/** `<id>.dump.<pid>-<start>-<host>.partial` (or `.json.` for a manifest being written); start 0 where /proc cannot tell. */
const PARTIAL = /^(.+)\.(dump|json)\.(\d+)-(\d+)-([A-Za-z0-9-]+)\.partial$/;

/** The name of the file this process writes `final` as, until it is whole. */
function partialOf(final: string): string {
  return `${final}.${process.pid}-${processStart(process.pid) ?? 0}-${HOST}.partial`;
}

/**
 * Whether the partial file `name` was left by a dead run: its writer was a process on this machine
 * that is no longer running (or whose pid another process now has). A partial of a live process,
 * of another machine, or in an older naming without a writer is not known to be dead.
 */
function deadPartial(name: string): boolean {
  const m = PARTIAL.exec(name);
  if (!m || m[5] !== HOST) return false;
  return !processRunning(Number(m[3]), m[4] === "0" ? undefined : m[4]);
}

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

  async put(id: string, dump: DumpChunks, describe: (facts: StoredFacts) => BackupManifest): Promise<StoredBackup> {
    checkBackupId(id);
    const file = this.dumpFile(id);
    if (fs.existsSync(file) || fs.existsSync(this.manifestFile(id))) throw new InputError(`backup ${id} already exists in ${this.url}`);
    fs.mkdirSync(this.folder, { recursive: true, mode: 0o700 });
    this.removeDeadPartials();
    const partial = partialOf(file);
    const meter = new DumpMeter();
    try {
      await writeChunksToFile(partial, meter.through(dump));
      fs.renameSync(partial, file);
    } catch (error) {
      fs.rmSync(partial, { force: true });
      if (error instanceof FailureError || error instanceof InputError) throw error;
      throw new FailureError(`could not write backup ${id} to ${this.folder}: ${(error as Error).message}`, { cause: error });
    }
    const manifest = describe({ bytes: meter.bytes, sha256: meter.sha256() });
    const written = partialOf(this.manifestFile(id));
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

  async open(id: string): Promise<{ manifest: BackupManifest; dump: DumpReader; location: string }> {
    checkBackupId(id);
    const manifest = this.readManifest(id);
    const file = this.dumpFile(id);
    if (!manifest || !fs.existsSync(file)) throw new InputError(`there is no backup ${id} in ${this.url}${this.hint()}`);
    return { manifest, dump: fileReader(file), location: file };
  }

  async list(): Promise<StoredBackup[]> {
    let names: string[];
    try {
      names = fs.readdirSync(this.folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw new FailureError(`could not read the backup folder ${this.folder}: ${(error as Error).message}`, { cause: error });
    }
    this.removeDeadPartials(names);
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

  /**
   * Deletes the backups created more than `days` days ago (never `keep`, the one just taken), and
   * `.partial` files that old (those of dead runs on this machine go sooner: see
   * `removeDeadPartials`; these are another machine's, or an older dbpipe's). Returns the ids it deleted.
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
      const modified = fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs;
      if (modified !== undefined && modified < cutoff) fs.rmSync(file, { force: true });
    }
    return deleted;
  }

  /**
   * Removes the partial files of dead runs among `names` (default: the folder's). A file that
   * vanishes meanwhile (its run finished, or another run removed it) is no error, and neither is one
   * that cannot be removed (a read-only folder still lists; retention or its owner cleans it).
   */
  private removeDeadPartials(names: readonly string[] = fs.readdirSync(this.folder)): void {
    for (const name of names) {
      if (!name.endsWith(".partial") || !deadPartial(name)) continue;
      try {
        fs.rmSync(path.join(this.folder, name), { force: true });
      } catch {
        // Not ours to remove here (EACCES, EROFS): it never lists, whatever happens to it.
      }
    }
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
