import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FailureError } from "../errors";
import { redactText } from "../redact";
import { DUMP_CHUNK_BYTES, pipeChunks } from "./dump-file";
import { parseDatabaseUrl } from "../database-url";

/**
 * pg_dump, the backup tool. Its major version must be at least the server's — the classic failure
 * ("server version mismatch") — so that is checked before anything starts. The password reaches
 * pg_dump through its environment, never its command line (which `ps` shows to every user).
 */

/** A PostgreSQL client tool found on this machine (pg_dump, pg_restore). */
export interface PgTool {
  /** Its path. */
  path: string;
  /** Its major version (15 for 15.18). */
  major: number;
  /** Its full version text, e.g. `15.18`. */
  version: string;
}

/** pg_dump or pg_restore is missing, too old for the server, or failed. */
export class PgDumpError extends FailureError {}

/** The client tools dbpipe runs, and the variable that names each one's path. */
export type PgToolName = "pg_dump" | "pg_restore";
const TOOL_VARIABLE: Record<PgToolName, string> = { pg_dump: "DBPIPE_PG_DUMP", pg_restore: "DBPIPE_PG_RESTORE" };

/** Reads a client tool's version (`pg_dump (PostgreSQL) 15.18`); undefined when it cannot run. */
export function pgToolVersion(file: string, name: PgToolName = "pg_dump"): PgTool | undefined {
  const run = spawnSync(file, ["--version"], { encoding: "utf8", timeout: 10_000 });
  const m = new RegExp(`${name} \\(PostgreSQL\\) (\\d+)(?:\\.(\\d+))?`).exec(run.stdout ?? "");
  if (run.status !== 0 || !m) return undefined;
  return { path: file, major: Number(m[1]), version: m[2] ? `${m[1]}.${m[2]}` : m[1] };
}

/**
 * Finds a `name` (pg_dump, pg_restore) whose major version is at least `serverMajor`: the path in
 * `DBPIPE_PG_DUMP` / `DBPIPE_PG_RESTORE` when set, else the newest of the one on the PATH and
 * Debian's `/usr/lib/postgresql/<major>/bin/<name>`. The error says exactly what to install.
 */
export function findPgTool(name: PgToolName, serverMajor: number, env: NodeJS.ProcessEnv = process.env): PgTool {
  const variable = TOOL_VARIABLE[name];
  const given = env[variable];
  const candidates: string[] = [];
  if (given) candidates.push(given);
  else {
    for (const dir of (env.PATH ?? "").split(path.delimiter)) if (dir) candidates.push(path.join(dir, name));
    try {
      for (const major of fs.readdirSync("/usr/lib/postgresql")) candidates.push(path.join("/usr/lib/postgresql", major, "bin", name));
    } catch {
      // No Debian PostgreSQL packages on this machine.
    }
  }
  const found = distinctTools(candidates)
    .map((c) => pgToolVersion(c, name))
    .filter((d): d is PgTool => d !== undefined)
    .sort((a, b) => b.major - a.major);
  const install = `install the PostgreSQL ${serverMajor} client (Debian and Ubuntu: apt-get install postgresql-client-${serverMajor}; macOS: brew install libpq), or set ${variable} to its ${name}`;
  const purpose = name === "pg_dump" ? "to back up the database" : "to restore a backup";
  if (found.length === 0) {
    throw new PgDumpError(`${name} is needed ${purpose} and was not found${given ? ` at ${variable}=${given}` : ""}: ${install}`);
  }
  if (found[0].major < serverMajor) {
    throw new PgDumpError(
      `${name} ${found[0].version} (${found[0].path}) cannot ${name === "pg_dump" ? "dump" : "restore into"} a PostgreSQL ${serverMajor} server: ${name}'s major version must be at least the server's. ` +
        `${install[0].toUpperCase()}${install.slice(1)}`,
    );
  }
  return found[0];
}

/**
 * The candidates that exist, each file once (`/bin` and `/usr/bin` are often one folder), in
 * order. Debian's `pg_wrapper` (what `/usr/bin/pg_dump` links to there) is left out when a tool of
 * `/usr/lib/postgresql/<major>/bin` is a candidate too: it only runs one of those, so asking it for
 * its version costs a Perl start for nothing, and running the tool through it costs one more on
 * every backup and restore.
 */
function distinctTools(candidates: readonly string[]): string[] {
  const seen = new Set<string>();
  const tools: { given: string; real: string }[] = [];
  for (const given of candidates) {
    let real: string;
    try {
      real = fs.realpathSync(given);
      if (!fs.statSync(real).isFile()) continue;
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    tools.push({ given, real });
  }
  const debianTool = (t: { real: string }) => t.real.startsWith(`${path.sep}usr${path.sep}lib${path.sep}postgresql${path.sep}`);
  const wrapper = (t: { real: string }) => path.basename(t.real) === "pg_wrapper";
  const hasDebianTool = tools.some(debianTool);
  return tools.filter((t) => !(hasDebianTool && wrapper(t))).map((t) => t.given);
}

/**
 * Finds a pg_dump whose major version is at least `serverMajor`: `DBPIPE_PG_DUMP` when set, else
 * the newest of `pg_dump` on the PATH and Debian's `/usr/lib/postgresql/<major>/bin/pg_dump`.
 */
export function findPgDump(serverMajor: number, env: NodeJS.ProcessEnv = process.env): PgTool {
  return findPgTool("pg_dump", serverMajor, env);
}

/**
 * How a client tool connects to `url`: the URL without its password for `--dbname`, the password
 * in `PGPASSWORD` (a command line is visible to every user through `ps`, the environment is not).
 */
export function connectionFor(url: string): { dbname: string; env: NodeJS.ProcessEnv; password: string } {
  const parsed = parseDatabaseUrl(url);
  // A password may also be a query parameter (`postgres:///db?host=/var/run/postgresql&password=...`).
  const password = decodeURIComponent(parsed.password) || (parsed.searchParams.get("password") ?? "");
  parsed.password = "";
  parsed.searchParams.delete("password");
  const env: NodeJS.ProcessEnv = { ...process.env, PGAPPNAME: "dbpipe-backup" };
  if (password) env.PGPASSWORD = password;
  return { dbname: parsed.toString(), env, password };
}

/**
 * Runs `pg_dump -Fc` on the database at `url` and yields its output as lent chunks of up to
 * `chunkBytes` (see {@link DumpChunks}), read as they come. pg_dump's stdout is a named pipe (a FIFO,
 * removed as soon as both ends are open) read into two reused buffers (see {@link pipeChunks}):
 * however large the database, reading the dump allocates nothing per chunk (a child's ordinary
 * stdout pipe hands over a new buffer for every read, left to the garbage collector). Where no FIFO can be made (Windows) the
 * ordinary pipe is read instead. The chunks end only when pg_dump succeeded; when it fails the
 * iteration throws pg_dump's message (password removed), so a store never mistakes a cut-short dump
 * for a whole one. A reader that stops early (an upload failed) stops pg_dump; a reader killed
 * leaves pg_dump writing into a pipe without a reader, which ends it.
 */
export async function* pgDumpChunks(pgDump: PgTool, url: string, chunkBytes = DUMP_CHUNK_BYTES): AsyncGenerator<Buffer> {
  const { dbname, env, password } = connectionFor(url);
  const fifo = openFifo();
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(pgDump.path, ["--format=custom", "--no-password", `--dbname=${dbname}`], { env, stdio: ["ignore", fifo?.writeFd ?? "pipe", "pipe"] });
  } catch (error) {
    if (fifo) fs.closeSync(fifo.readFd);
    throw error;
  } finally {
    // pg_dump holds the write end now: the pipe ends when it exits.
    if (fifo) fs.closeSync(fifo.writeFd);
  }
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  };
  let err = "";
  child.stderr!.on("data", (d) => (err = (err + d).slice(-8000)));
  const ended = new Promise<PgDumpError | undefined>((resolve) => {
    child.on("error", (error) => resolve(new PgDumpError(`could not run ${pgDump.path}: ${error.message}`)));
    child.on("close", (code, signal) => {
      resolve(code === 0 ? undefined : new PgDumpError(`pg_dump failed (${signal ? `killed by ${signal}` : `exit ${code}`}): ${redactText(err.trim(), [password]) || "no message"}`));
    });
  });
  try {
    if (fifo) {
      // Each buffer is filled before it is handed on: pg_dump writes a few KiB at a time, and every
      // later stage costs something per chunk.
      yield* pipeChunks(fifo.readFd, chunkBytes, () => stop());
    } else {
      for await (const chunk of child.stdout!) yield chunk as Buffer;
    }
    const failure = await ended;
    if (failure) throw failure;
  } finally {
    stop();
  }
}

/**
 * A FIFO opened at both ends, its name already removed: the read end (non-blocking, for
 * {@link pipeChunks}) and the write end, for a child's stdout. Undefined where none can be made (no
 * `mkfifo`: Windows).
 */
function openFifo(): { readFd: number; writeFd: number } | undefined {
  if (process.platform === "win32") return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-dump-"));
  try {
    const fifo = path.join(dir, "dump");
    if (spawnSync("mkfifo", ["-m", "600", fifo], { stdio: "ignore" }).status !== 0) return undefined;
    // A non-blocking open of the read end does not wait for a writer, and then the write end's
    // open finds a reader.
    const readFd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    return { readFd, writeFd: fs.openSync(fifo, "w") };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
