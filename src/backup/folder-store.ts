import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { FailureError, InputError } from "../errors";
import { FolderNotMadeError, fileOnPath, makeFolder } from "../make-folder";
import { processRunning, processStart } from "../local/embedded";
import { fileReader, writeChunksToFile } from "./dump-file";
import { type DumpChunks, DumpMeter, type DumpReader } from "./dump-meter";
import { type BackupManifest, type BackupStore, type StoredBackup, type StoredFacts, checkBackupId, listedManifest, newestFirst, parseManifest } from "./store";

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
 * With `retentionDays`, every backup stored prunes its stack's backups older than that (the bucket's
 * lifecycle rule does the same in the cloud). A folder may hold several stacks' backups (one
 * `DBPIPE_BACKUP_STORE` for all): each stack's retention deletes only its own.
 *
 * A `<id>.json` that is not a manifest (someone's notes, a manifest cut short) never stops a listing,
 * a backup or a drill: without a dump beside it, it is not a backup and is skipped; with one, it is
 * an unusable backup, skipped with a warning (`onWarning`) and never deleted (its dump may still be
 * restored by hand with pg_restore).
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
  /**
   * Told, in a sentence naming the files, what the store skipped or could not do without failing:
   * a backup whose manifest it cannot read, a retention pass that could not finish after a backup
   * was stored. Default: nobody is told.
   */
  onWarning?: (message: string) => void;
  /**
   * Who named this folder, for errors: `--store`, `DBPIPE_BACKUP_STORE`, a MigrationSet's backup
   * input. A folder someone named must exist to be listed, opened or drilled: a mistyped path is
   * a {@link FailureError} that says the folder does not exist, not an empty store (a backup into
   * it still creates it). Default: nobody, a folder dbpipe chose (the CLI's
   * `.dbpipe/<stack>/backups/`), which lists as empty until the first backup makes it.
   */
  namedBy?: string;
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
    this.makeFolder();
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
    if (this.options.retentionDays !== undefined) {
      try {
        await this.prune(this.options.retentionDays, { stack: manifest.stack, keep: id });
      } catch (error) {
        // The backup is stored: a retention pass that fails (a file it may not delete) does not undo that.
        this.warn(`backup ${id} is stored, but deleting ${manifest.stack}'s backups older than ${this.options.retentionDays} days from ${this.folder} failed: ${(error as Error).message}`);
      }
    }
    return stored;
  }

  async open(id: string): Promise<{ manifest: BackupManifest; dump: DumpReader; location: string }> {
    checkBackupId(id);
    const manifest = this.readManifest(id);
    const file = this.dumpFile(id);
    if (!manifest || !fs.existsSync(file)) {
      if (this.options.namedBy !== undefined && !fs.existsSync(this.folder)) throw this.missingFolder();
      throw new InputError(`there is no backup ${id} in ${this.url}${this.hint()}`);
    }
    return { manifest, dump: fileReader(file), location: file };
  }

  async list(): Promise<StoredBackup[]> {
    let names: string[];
    try {
      names = fs.readdirSync(this.folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw this.folderFailure("cannot be read", error);
      if (this.options.namedBy !== undefined) throw this.missingFolder();
      return [];
    }
    this.removeDeadPartials(names);
    const backups: StoredBackup[] = [];
    for (const name of names) {
      if (!name.endsWith(".json")) continue;
      const id = name.slice(0, -".json".length);
      // A .json without a dump beside it is no backup, whatever it holds (notes, another tool's file).
      if (!fs.existsSync(this.dumpFile(id))) continue;
      const manifest = await listedManifest(id, () => this.readManifest(id), { dump: this.dumpFile(id), manifest: this.manifestFile(id), things: "files" }, this.options.onWarning);
      if (manifest) backups.push({ manifest, ref: this.refOf(id) });
    }
    return newestFirst(backups);
  }

  async delete(id: string): Promise<void> {
    checkBackupId(id);
    // The manifest first: a dump without one is not a backup, whatever happens next.
    fs.rmSync(this.manifestFile(id), { force: true });
    fs.rmSync(this.dumpFile(id), { force: true });
  }

  /**
   * Deletes `only.stack`'s backups created more than `days` days ago (never `only.keep`, the one
   * just taken; never another stack's, which keeps to its own retention; never one whose manifest
   * cannot be read), and `.partial` files that old (those of dead runs on this machine go sooner:
   * see `removeDeadPartials`; these are another machine's, or an older dbpipe's). Returns the ids
   * it deleted.
   */
  async prune(days: number, only: { stack: string; keep?: string }): Promise<string[]> {
    const cutoff = (this.options.now ?? Date.now)() - days * DAY_MS;
    const deleted: string[] = [];
    for (const backup of await this.list()) {
      const created = Date.parse(backup.manifest.createdAt);
      if (backup.manifest.stack === only.stack && backup.manifest.id !== only.keep && Number.isFinite(created) && created < cutoff) {
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
  private removeDeadPartials(names?: readonly string[]): void {
    if (names === undefined) {
      try {
        names = fs.readdirSync(this.folder);
      } catch {
        return; // a folder that may be written but not read (mode 0300): nothing to tidy that this run can see
      }
    }
    for (const name of names) {
      if (!name.endsWith(".partial") || !deadPartial(name)) continue;
      try {
        fs.rmSync(path.join(this.folder, name), { force: true });
      } catch {
        // Not ours to remove here (EACCES, EROFS): it never lists, whatever happens to it.
      }
    }
  }

  /**
   * Makes the folder (and its parents) if missing; a path that is a file, a folder this user may
   * not write, or one the file system will not make (/proc) is a {@link FailureError} that says
   * so, before anything is dumped.
   */
  private makeFolder(): void {
    try {
      makeFolder(this.folder, { mode: 0o700 });
      fs.accessSync(this.folder, fs.constants.W_OK | fs.constants.X_OK);
    } catch (error) {
      throw this.folderFailure("cannot be written", error);
    }
  }

  /**
   * The {@link FailureError} for `error` (from the file system) on the folder itself: what is wrong
   * with it in words (a file where the folder should be, no permission, a folder that cannot be
   * made), the system's code last.
   */
  private folderFailure(what: "cannot be written" | "cannot be read", error: unknown): FailureError {
    const code = (error as NodeJS.ErrnoException).code;
    const file = error instanceof FolderNotMadeError ? undefined : fileOnPath(this.folder);
    const why =
      error instanceof FolderNotMadeError
        ? error.reason
        : file === this.folder
          ? "it is a file, not a folder"
          : file !== undefined
            ? `${file} is a file, not a folder`
            : code === "EACCES" || code === "EPERM"
              ? `permission denied: this user may not ${what === "cannot be read" ? "read it" : "create files in it"}`
              : code === "EROFS"
                ? "it is on a read-only file system"
                : (error as Error).message;
    return new FailureError(`the backup folder ${this.folder} ${what}: ${why} (${code ?? (error as Error).message})`, { cause: error });
  }

  /** The {@link FailureError} for a folder someone named that is not there: a mistyped path, most likely. */
  private missingFolder(): FailureError {
    return new FailureError(
      `the backup folder ${this.folder} (${this.options.namedBy}) does not exist: check the path (a backup creates the folder it is given; listing and restoring only read one)`,
    );
  }

  private warn(message: string): void {
    this.options.onWarning?.(message);
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
