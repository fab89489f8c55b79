import * as fs from "node:fs";
import * as path from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { DbpipeError, InputError, databaseFailure } from "../errors";
import type { StackStore } from "../backup/stack-store";
import type { EngineOptions } from "../migrate/run";
import { type MigrationFolder, display, loadFiles } from "../migrate/files";
import type { DeployOptions } from "../pipeline/deploy";
import { redactUrl, rememberUrlSecrets } from "../redact";
import { isPostgresUrl, notAPostgresUrl } from "../database-url";
import type { Output } from "./output";
import { backupCanBeRequired } from "../risk-level";
import { loadStackSettings } from "../settings/stack-file";
import { MIGRATION_LAYOUTS, type MigrationLayoutSetting, type StackSettings } from "../settings/stack-settings";

/**
 * What the database commands share: the flags every one of them takes, finding the project and its
 * stack settings, and the database to work on — `--database-url`, else `DATABASE_URL_DIRECT`, else
 * `DATABASE_URL`, else the embedded PostgreSQL under `.dbpipe/<stack>/`.
 */

/** Flags shared by the database commands, as commander parses them. */
export interface ProjectFlags {
  stack: string;
  databaseUrl?: string;
  dir?: string;
  layout?: MigrationLayoutSetting;
  json?: boolean;
}

/** Adds `--stack`, `--dir` and `--layout`. */
export function addProjectOptions(command: Command): Command {
  return command
    .option("--stack <name>", "stack whose settings apply (Pulumi.<name>.yaml)", "dev")
    .option("--dir <folder>", "migrations folder (default: the stack's dbpipe:migrationsDir, migrations/)", nonEmptyFolder)
    .addOption(new Option("--layout <layout>", "migrations layout (default: detected)").choices([...MIGRATION_LAYOUTS]));
}

/** `--dir=` (an empty value, as a shell variable that is not set gives) names no folder: refused rather than read as the default. */
function nonEmptyFolder(value: string): string {
  if (value.trim() === "") throw new InvalidArgumentError("must name a folder, got an empty value");
  return value;
}

/** Adds `--database-url`. */
export function addDatabaseOption(command: Command): Command {
  return command.option(
    "--database-url <url>",
    "PostgreSQL URL, direct (unpooled) connection (default: $DATABASE_URL_DIRECT, then $DATABASE_URL, then the embedded PostgreSQL in .dbpipe/<stack>/)",
  );
}

/**
 * Adds `--ignore-other-history` (`up`, and `plan` to show what that `up` would do): on a database
 * with no dbpipe history, another tool's history table no longer stops `up`.
 */
export function addIgnoreOtherHistoryOption(command: Command, verb: "up" | "plan"): Command {
  return command.option(
    "--ignore-other-history",
    verb === "up"
      ? "on a database with no dbpipe history, apply every migration even though another tool's history table (Flyway, Alembic, Prisma Migrate, Drizzle) is there, for a table that is stale (to take over that history, run `dbpipe adopt` instead)"
      : "show what `dbpipe up --ignore-other-history` would do: another tool's history table in a database with no dbpipe history does not stop it (see `dbpipe up --help`)",
  );
}

/** Adds `--json`. */
export function addJsonOption(command: Command): Command {
  return command.option("--json", "print one JSON object instead of text");
}

/** The project: the folder holding `Pulumi.yaml` (searched upwards from the working directory), else the working directory. */
export function findProjectDir(start: string = process.cwd()): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(start);
  }
}

/** A project, its stack's settings and its migrations folder. */
export interface Project {
  dir: string;
  settings: StackSettings;
  migrationsDir: string;
  layout: MigrationLayoutSetting;
}

/**
 * Resolves the project and parses the stack's settings (every problem at once, exit 2). The
 * project is the nearest folder up from here with a `Pulumi.yaml`, as for the Pulumi CLI; a
 * command that reads the migrations (`migrations`, the default) run from a folder below it that
 * has a migrations folder of its own, without `--dir`, is refused rather than given the project's
 * folder: in a monorepo that would run another service's migrations.
 */
export function openProject(flags: ProjectFlags, options: { migrations?: boolean } = {}): Project {
  const dir = findProjectDir();
  const settings = loadStackSettings(dir, flags.stack);
  const migrationsDir = flags.dir ? path.resolve(flags.dir) : path.resolve(dir, settings.migrations.dir);
  if (options.migrations !== false && !flags.dir) refuseMigrationsHere(dir, settings.migrations.dir, migrationsDir);
  return { dir, settings, migrationsDir, layout: flags.layout ?? settings.migrations.layout };
}

/** Refuses when the current folder, below the project, has its own folder named as the migrations folder. */
function refuseMigrationsHere(projectDir: string, setting: string, migrationsDir: string, cwd: string = process.cwd()): void {
  if (path.resolve(cwd) === projectDir || path.isAbsolute(setting)) return;
  const here = path.resolve(cwd, setting);
  if (here === migrationsDir || !isFolder(here)) return;
  const shown = (p: string) => display(p, cwd) || ".";
  throw new InputError(
    `${shown(here)} is here, but the project is ${shown(projectDir)} (the nearest Pulumi.yaml up from this folder), whose migrations are ${shown(migrationsDir)}: ` +
      `give --dir ${shown(here)} to use this folder, run from ${shown(projectDir)} to use the project's, or add a Pulumi.yaml here to make this folder a project of its own`,
  );
}

function isFolder(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The database a command works on. */
export interface DatabaseTarget {
  /** Its URL (with password: never print it, print `shown`). */
  url: string;
  /** What to print for it: a redacted URL, or the embedded server's folder. */
  shown: string;
  /** Stops the embedded server if this command started it. */
  close(): Promise<void>;
  /** The stack's embedded server, on this machine (not a URL given). */
  embedded: boolean;
}

/** The database URL given by `--database-url`, else `DATABASE_URL_DIRECT`, else `DATABASE_URL`; `undefined` means the embedded one. */
export function givenDatabaseUrl(flags: Pick<ProjectFlags, "databaseUrl">, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return flags.databaseUrl ?? nonEmpty(env.DATABASE_URL_DIRECT) ?? nonEmpty(env.DATABASE_URL);
}

/** Opens the database: the flag, the environment, or the embedded PostgreSQL for the stack. */
export async function openDatabase(project: Project, flags: ProjectFlags, env: NodeJS.ProcessEnv = process.env): Promise<DatabaseTarget> {
  const given = givenDatabaseUrl(flags, env);
  rememberUrlSecrets(given);
  if (given !== undefined) {
    if (!isPostgresUrl(given)) {
      const source = flags.databaseUrl !== undefined ? "--database-url" : nonEmpty(env.DATABASE_URL_DIRECT) !== undefined ? "DATABASE_URL_DIRECT" : "DATABASE_URL";
      throw new InputError(notAPostgresUrl(source, given));
    }
    return { url: given, shown: redactUrl(given), close: async () => {}, embedded: false };
  }
  const folder = path.join(project.dir, ".dbpipe", project.settings.stack);
  // Loaded here, not on import: `lint` and the other commands that never open a database do not pay for it.
  const { startEmbedded } = await import("../local/embedded.js");
  const server = await startEmbedded({ dataDir: folder, database: project.settings.infra.databaseName });
  rememberUrlSecrets(server.url);
  const shownFolder = display(folder, process.cwd());
  // As root with the project in a private folder, the data is elsewhere: say where.
  const elsewhere = path.relative(folder, server.dataDir).startsWith("..") ? ` (data in ${server.dataDir})` : "";
  return {
    url: server.url,
    shown: `embedded PostgreSQL in ${shownFolder}${elsewhere}`,
    close: () => server.stop(),
    embedded: true,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/** The engine's options for a project and database. */
export function engineOptions(project: Project, database: DatabaseTarget, files?: MigrationFolder): EngineOptions {
  return {
    settings: project.settings,
    migrationsDir: project.migrationsDir,
    layout: project.layout,
    databaseUrl: database.url,
    files,
  };
}

/**
 * The deploy's options for a project and database: the backups go to the stack's store, as for
 * `dbpipe backup` (by default the local folder `.dbpipe/<stack>/backups/`). A stack that backs up
 * before no migration (`dbpipe:backupBefore: never`, the dev tier's default) gets no store: the
 * deploy could never use it, so it is not opened (its modules, and the `pulumi stack output` that
 * looks for the stack's bucket, cost every `up` 20 to 45 ms), and a `DBPIPE_BACKUP_STORE` meant
 * for other stacks does not stop the run.
 */
export async function deployOptions(
  project: Project,
  database: DatabaseTarget,
  files?: MigrationFolder,
  warnings?: WarningOutput,
): Promise<Pick<DeployOptions, "settings" | "migrationsDir" | "layout" | "databaseUrl" | "backupStore" | "files">> {
  return {
    settings: project.settings,
    migrationsDir: project.migrationsDir,
    layout: project.layout,
    databaseUrl: database.url,
    files,
    backupStore: backupCanBeRequired(project.settings.risk) ? (await projectBackupStore(project, undefined, warnings, database)).store : undefined,
  };
}

/** Where a command's warnings go: stderr, as `warning: ...` lines. */
export type WarningOutput = Pick<Output, "error">;

/**
 * The stack's backup store: `store` (`--store`) when given, else as `stackBackupStore` decides.
 * What the store passes over (a backup whose manifest it cannot read) is told to `warnings`, and
 * so is a backup of `database`, when it is not on this machine, that lands in the local folder
 * for want of another store.
 */
export async function projectBackupStore(project: Project, store?: string, warnings?: WarningOutput, database?: Pick<DatabaseTarget, "embedded">): Promise<StackStore> {
  // Loaded here, not on import (the backup stores are several modules): `lint` never uses them.
  const { stackBackupStore } = await import("../backup/stack-store.js");
  return stackBackupStore({
    projectDir: project.dir,
    stack: project.settings.stack,
    store,
    retentionDays: project.settings.infra.backupRetentionDays,
    awsRegion: project.settings.infra.awsRegion,
    onWarning: warnings && ((message) => warnings.error(`warning: ${message}`)),
    remoteDatabase: database !== undefined && !database.embedded,
  });
}

/**
 * {@link withDatabase} for a command that reads the migrations folder: the files are read first,
 * and one that is refused (a folder that cannot be read, a file that is not valid UTF-8, an
 * unknown directive, a duplicate version…) stops the command before the embedded server starts
 * (seconds, on a new project) or anything connects. `fn` gets the files, to pass on in the
 * engine's options so they are not read again.
 */
export function withMigrationsAndDatabase<T>(
  project: Project,
  flags: ProjectFlags,
  fn: (database: DatabaseTarget, files: MigrationFolder) => Promise<T>,
  /** Told the files as soon as they are read, before the database is opened. */
  filesRead?: (files: MigrationFolder) => void,
): Promise<T> {
  const files = loadFiles({ settings: project.settings, migrationsDir: project.migrationsDir, layout: project.layout });
  filesRead?.(files);
  return withDatabase(project, flags, (database) => fn(database, files));
}

/**
 * Runs `fn` with the project's database open, closing it (stopping the embedded server) after. An
 * error from `pg` or the network that `fn` lets through becomes a failure naming the database.
 */
export async function withDatabase<T>(project: Project, flags: ProjectFlags, fn: (database: DatabaseTarget) => Promise<T>): Promise<T> {
  const database = await openDatabase(project, flags);
  try {
    return await fn(database);
  } catch (error) {
    throw (error instanceof DbpipeError ? undefined : databaseFailure(error, database.shown)) ?? error;
  } finally {
    await database.close();
  }
}
