import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "../errors";
import { redactUrl } from "../redact";
import { FolderStore } from "./folder-store";
import { S3Store, type S3StoreOptions } from "./s3-store";
import type { BackupStore } from "./store";

/** Options of {@link openBackupStore}. */
export interface OpenBackupStoreOptions extends Pick<S3StoreOptions, "region" | "endpoint" | "partSize" | "env" | "onWarning"> {
  /** A local folder prunes backups older than this many days after each new one; the bucket's lifecycle does it in S3. Default: none pruned. */
  retentionDays?: number;
  /** A local folder's refs are relative to this folder (the project). Default: absolute. */
  refBase?: string;
  /**
   * What the URL came from, for errors: `--store`, `the backup input`. Default `the backup store`.
   * Given, it also says someone named the store: a folder it names must exist to be listed or
   * restored from (see `FolderStoreOptions.namedBy`). Not given, a folder that does not exist yet
   * lists as empty (the CLI's own `.dbpipe/<stack>/backups/`).
   */
  source?: string;
}

/**
 * The store at `url`: `file:///abs/path` (a local folder) or `s3://<bucket>[/<prefix>]` (a bucket).
 * Anything else is an InputError that names `options.source` and says what is accepted.
 */
export function openBackupStore(url: string, options: OpenBackupStoreOptions = {}): BackupStore {
  const source = options.source ?? "the backup store";
  const shown = JSON.stringify(redactUrl(url));
  const accepted = "expected file:///absolute/folder or s3://bucket/prefix";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputError(`${source} ${shown} is not a URL: ${accepted}`);
  }
  if (parsed.protocol === "file:") {
    if (parsed.host !== "" && parsed.host !== "localhost") throw new InputError(`${source} ${shown} names a host: a folder is file:///absolute/folder (three slashes)`);
    // `file:backups` or `file:./backups` would parse as /backups, at the root: a relative folder is
    // not what the URL names, so it is refused rather than written somewhere else.
    if (!/^file:\//i.test(url.trim())) throw new InputError(`${source} ${shown} is not an absolute folder URL: a folder is file:///absolute/folder (three slashes; a relative path would land elsewhere)`);
    if (parsed.search || parsed.hash) throw new InputError(`${source} ${shown}: a folder URL takes no ?query or #fragment`);
    const folder = path.resolve(fileURLToPath(parsed));
    return new FolderStore(folder, { retentionDays: options.retentionDays, refBase: options.refBase, onWarning: options.onWarning, namedBy: options.source });
  }
  if (parsed.protocol === "s3:") {
    const bucket = parsed.hostname;
    // S3 bucket names: 3–63 lowercase letters, digits, dots and hyphens.
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new InputError(`${source} ${shown}: ${JSON.stringify(bucket)} is not an S3 bucket name (3-63 lowercase letters, digits, '.' and '-')`);
    if (parsed.username || parsed.password) throw new InputError(`${source}: an s3:// URL takes no credentials; they come from the AWS environment (AWS_PROFILE, AWS_ACCESS_KEY_ID, a role)`);
    if (parsed.port || parsed.search || parsed.hash) throw new InputError(`${source} ${shown}: an s3:// URL is s3://bucket/prefix, without port, ?query or #fragment (AWS_ENDPOINT_URL_S3 sets another endpoint)`);
    const prefix = decodeURIComponent(parsed.pathname).replace(/^\/+|\/+$/g, "");
    return new S3Store(bucket, prefix, { region: options.region, endpoint: options.endpoint, partSize: options.partSize, env: options.env, onWarning: options.onWarning });
  }
  throw new InputError(`${source} ${shown} has an unknown scheme ${JSON.stringify(parsed.protocol)}: ${accepted}`);
}
