import * as fs from "node:fs";
import * as path from "node:path";
import { FailureError } from "./errors";

/**
 * Making a folder and the missing folders above it, for every folder dbpipe creates on a path a
 * user chose: the backup folder (`--store file:///…`, `DBPIPE_BACKUP_STORE`), the embedded
 * server's `.dbpipe/<stack>/`, the lint cache's `.dbpipe/cache/`, the migrations folder `diff`
 * writes into.
 *
 * Not `fs.mkdirSync(folder, { recursive: true })`: Node's recursive mkdir (`MKDirpSync` in
 * `src/node_file.cc`) reads any ENOENT as "the parent is missing", makes the parent (EEXIST: it is
 * there), and tries the child again, with no limit. Where the file system answers ENOENT for a
 * child of a folder that exists — procfs and sysfs do for every new name (`/proc/forbidden`), as a
 * deleted mount point does — that is a loop at 100% CPU that never returns, nor lets a signal
 * handler run. Seen here on Node 20.20.2 (strace: `mkdir("/proc/forbidden") = ENOENT`,
 * `mkdir("/proc") = EEXIST`, repeated); reported on Linux with Node 18 under /proc, its reporter
 * finding Node 22's code the same (Kewton/CommandMate#1774), and for a stale /tmp mount
 * (openclaw/openclaw#130807). Node's own tracker has the same loop on Windows, for a file where a
 * parent should be, fixed in 10.16.0 (nodejs/node#27198, #27207), and recursive mkdir reporting
 * ENOENT for other failures (nodejs/node#31481, #42808, EROFS: #62725, open), but no issue or fix
 * for this one: take every Node version as affected. Every mkdir here is one call, without
 * `recursive`: the first one that fails ends it, with what failed and why.
 */

/** A folder {@link makeFolder} could not make: which one, the path on the way to it that failed, and why. */
export class FolderNotMadeError extends FailureError {
  constructor(
    /** The folder asked for. */
    readonly folder: string,
    /** The path that could not be made or used: the folder itself, or a folder (or file) above it. */
    readonly failedAt: string,
    /** What is wrong, in words: `/proc takes no new folders …`, `/srv/a is a file, not a folder`. */
    readonly reason: string,
    /** The system's error code (`ENOENT`, `EACCES`, `ENOTDIR`, …), when there is one. */
    readonly code: string | undefined,
    /** What the folder is, for the message. Default `the folder`. */
    what = "the folder",
    options?: { cause?: unknown },
  ) {
    super(`${what} ${folder} cannot be created: ${reason}${code ? ` (${code})` : ""}`, options);
  }
}

/** Options of {@link makeFolder}. */
export interface MakeFolderOptions {
  /** Mode of each folder it creates (less the umask). Default 0o777. */
  mode?: number;
  /** What the folder is, for the error: `the backup folder`. Default `the folder`. */
  what?: string;
}

/**
 * Makes `folder` and whichever folders above it are missing, top down, one non-recursive mkdir
 * each. A folder that exists already is left as it is. Throws a {@link FolderNotMadeError} at the
 * first failure: a file where a folder should be, a folder this user may not write, a read-only or
 * full file system, a file system that takes no new folders (/proc).
 */
export function makeFolder(folder: string, options: MakeFolderOptions = {}): void {
  const target = path.resolve(folder);
  const fail = (failedAt: string, reason: string, code: string | undefined, cause?: unknown): never => {
    throw new FolderNotMadeError(target, failedAt, reason, code, options.what, { cause });
  };
  // The missing folders, from the one just under the nearest existing folder down to `target`.
  const missing: string[] = [];
  for (let at = target; ; at = path.dirname(at)) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(at);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOTDIR") {
        const file = fileOnPath(at) ?? at;
        return fail(file, `${file} is a file, not a folder`, code, error);
      }
      if (code === "EACCES" || code === "EPERM") return fail(at, `permission denied: this user may not enter ${path.dirname(at)}`, code, error);
      if (code !== "ENOENT" || path.dirname(at) === at) return fail(at, reasonFor(error, at, target), code, error);
      missing.unshift(at);
      continue;
    }
    if (stat.isDirectory()) break;
    return fail(at, at === target ? "it is a file, not a folder" : `${at} is a file, not a folder`, at === target ? "EEXIST" : "ENOTDIR");
  }
  for (const at of missing) {
    try {
      fs.mkdirSync(at, { mode: options.mode });
    } catch (error) {
      // Another process made it meanwhile: as good as made here.
      if ((error as NodeJS.ErrnoException).code === "EEXIST" && fs.statSync(at, { throwIfNoEntry: false })?.isDirectory()) continue;
      return fail(at, reasonFor(error, at, target), (error as NodeJS.ErrnoException).code, error);
    }
  }
}

/** What `error`, from making or reaching `at` on the way to `target`, means, in words. */
function reasonFor(error: unknown, at: string, target: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  const parent = path.dirname(at);
  const it = at === target ? "it" : at;
  switch (code) {
    case "ENOENT":
      // Its parent was there a moment ago: made just before, or found by the walk up.
      return fs.existsSync(parent)
        ? `${parent} takes no new folders (a virtual file system such as /proc or /sys): mkdir ${at} says "no such file or directory" although ${parent} exists`
        : `${parent} was removed while the folders under it were being made`;
    case "EEXIST": {
      // Not a folder, yet not found by the walk up: a symbolic link to nothing, or a file made meanwhile.
      const link = linkTarget(at);
      return link === undefined ? `${it} is a file, not a folder` : `${it} is a symbolic link to ${link}, which does not exist`;
    }
    case "EACCES":
    case "EPERM":
      return `permission denied: this user may not create ${it} in ${parent}`;
    case "EROFS":
      return `${parent} is on a read-only file system`;
    case "ENOSPC":
    case "EDQUOT":
      return `no space left for a new folder in ${parent}`;
    case "ELOOP":
      return `${at} is a symbolic link that loops`;
    default:
      return (error as Error).message;
  }
}

/** Where the symbolic link `at` points, when `at` is one. */
function linkTarget(at: string): string | undefined {
  try {
    return fs.readlinkSync(at);
  } catch {
    return undefined; // not a link (EINVAL), or gone
  }
}

/** The first of `folder` and the folders above it that exists and is not a folder, if any. */
export function fileOnPath(folder: string): string | undefined {
  for (let at = folder; ; at = path.dirname(at)) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(at);
    } catch (error) {
      // ENOENT, or ENOTDIR under a file: look further up. Anything else (a folder above that may not be entered): no file found.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") return undefined;
    }
    if (stat) return stat.isDirectory() ? undefined : at;
    if (path.dirname(at) === at) return undefined;
  }
}
