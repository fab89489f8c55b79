import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { openBackupStore } from "./open-store";
import type { BackupStore } from "./store";

/**
 * Which store a stack's backups go to, for the CLI: `--store`, else `DBPIPE_BACKUP_STORE`, else
 * the stack's backup bucket when it has one (the `backupBucket` output of the deployed stack, read
 * with the Pulumi CLI when it is installed), else the local folder `.dbpipe/<stack>/backups/`.
 */

/** The key prefix of backups in a stack's bucket: `s3://<bucket>/backups/<id>.dump`. */
export const BUCKET_PREFIX = "backups";

/** The store URL of a stack's bucket. */
export function bucketStoreUrl(bucket: string): string {
  return `s3://${bucket}/${BUCKET_PREFIX}`;
}

/** The local folder of a stack's backups. */
export function localBackupFolder(projectDir: string, stack: string): string {
  return path.join(projectDir, ".dbpipe", stack, "backups");
}

/** Options of {@link stackBackupStore}. */
export interface StackStoreOptions {
  /** The project folder (holding Pulumi.yaml). */
  projectDir: string;
  /** The stack. */
  stack: string;
  /** `--store`, when given. */
  store?: string;
  /** The local folder prunes backups older than this. */
  retentionDays: number;
  /** The stack's `aws:region`, for its bucket. */
  awsRegion?: string;
  /** Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Told what the store skipped without failing (a backup whose manifest it cannot read, a retention pass that failed after a backup was stored). Default: nobody is told. */
  onWarning?: (message: string) => void;
  /**
   * The database backed up is not on this machine (not the embedded server). A backup of it that
   * lands in the local folder for want of any other store is then told to `onWarning`: on a CI
   * runner that folder is gone when the job ends, and with it the backup taken before a migration.
   */
  remoteDatabase?: boolean;
}

/** A stack's store, and where its URL came from (for the output). */
export interface StackStore {
  store: BackupStore;
  /** `--store`, `DBPIPE_BACKUP_STORE`, `the stack's bucket` or `the local folder`. */
  source: string;
  /** For the local folder: why no other store was found, e.g. `the Pulumi CLI is not installed…`. */
  fallbackReason?: string;
}

/** Opens the store a stack's backups go to (see the module's doc for the order). */
export function stackBackupStore(options: StackStoreOptions): StackStore {
  const env = options.env ?? process.env;
  const open = (url: string, source: string): StackStore => ({
    store: openBackupStore(url, { source, retentionDays: options.retentionDays, refBase: options.projectDir, region: options.awsRegion, env, onWarning: options.onWarning }),
    source,
  });
  if (options.store !== undefined) return open(options.store, "--store");
  const fromEnv = env.DBPIPE_BACKUP_STORE?.trim();
  if (fromEnv) return open(fromEnv, "DBPIPE_BACKUP_STORE");
  const deployed = deployedBucket(options.projectDir, options.stack, env);
  if (deployed.bucket) return open(bucketStoreUrl(deployed.bucket), "the stack's bucket");
  const folder = localBackupFolder(options.projectDir, options.stack);
  const store = openBackupStore(pathToFileURL(folder).toString(), { retentionDays: options.retentionDays, refBase: options.projectDir, onWarning: options.onWarning });
  const warn = options.onWarning;
  if (options.remoteDatabase && warn) {
    const shown = path.relative(process.cwd(), folder) || folder;
    const put = store.put.bind(store);
    store.put = async (id, dump, describe) => {
      const stored = await put(id, dump, describe);
      warn(
        `backup ${id} is only in ${shown}${path.sep} on this machine (${deployed.why}): a CI runner's disk is gone when the job ends, and the backup with it. ` +
          "For backups that outlive this machine, give --store or DBPIPE_BACKUP_STORE (s3://bucket/prefix, or file:///a/folder that does)",
      );
      return stored;
    };
  }
  return { store, source: "the local folder", fallbackReason: deployed.why };
}

/**
 * The deployed stack's `backupBucket` output, when the Pulumi CLI is installed and the stack has
 * one; else why not, in words.
 */
function deployedBucket(projectDir: string, stack: string, env: NodeJS.ProcessEnv): { bucket?: string; why: string } {
  const pulumi = (env.PATH ?? "")
    .split(path.delimiter)
    .filter(Boolean)
    .map((dir) => path.join(dir, "pulumi"))
    .find((file) => fs.existsSync(file));
  if (!pulumi) return { why: "no --store, no DBPIPE_BACKUP_STORE, and the Pulumi CLI is not installed to read the stack's backupBucket output" };
  const run = spawnSync(pulumi, ["stack", "output", "backupBucket", "--stack", stack, "--non-interactive"], { cwd: projectDir, env, encoding: "utf8", timeout: 60_000 });
  const bucket = run.status === 0 ? run.stdout.trim() : "";
  if (/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) return { bucket, why: "" };
  return { why: `no --store, no DBPIPE_BACKUP_STORE, and \`pulumi stack output backupBucket --stack ${stack}\` gave no bucket` };
}
