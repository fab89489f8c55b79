import { spawn, spawnSync } from "node:child_process";
import { type Readable, Transform, type TransformCallback } from "node:stream";
import * as fs from "node:fs";
import * as path from "node:path";
import { FailureError } from "../errors";
import { redactText } from "../redact";

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
  const found = [...new Set(candidates)]
    .filter((c) => fs.existsSync(c))
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
  const parsed = new URL(url);
  // A password may also be a query parameter (`postgres:///db?host=/var/run/postgresql&password=...`).
  const password = decodeURIComponent(parsed.password) || (parsed.searchParams.get("password") ?? "");
  parsed.password = "";
  parsed.searchParams.delete("password");
  const env: NodeJS.ProcessEnv = { ...process.env, PGAPPNAME: "dbpipe-backup" };
  if (password) env.PGPASSWORD = password;
  return { dbname: parsed.toString(), env, password };
}

/**
 * Runs `pg_dump -Fc` on the database at `url` and returns its output as a stream, read as it comes
 * (constant memory, however large the database). The stream ends only when pg_dump succeeded; when
 * pg_dump fails it errors with pg_dump's message (password removed), so a store never mistakes a
 * cut-short dump for a whole one.
 */
export function pgDumpStream(pgDump: PgTool, url: string): Readable {
  const { dbname, env, password } = connectionFor(url);
  const out = new Coalescer(DUMP_CHUNK_BYTES);
  const child = spawn(pgDump.path, ["--format=custom", "--no-password", `--dbname=${dbname}`], { env, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr.on("data", (d) => (err = (err + d).slice(-8000)));
  // pg_dump's stdout is piped without ending `out`: whether it ends well is known only at exit.
  child.stdout.pipe(out, { end: false });
  child.on("error", (error) => out.destroy(new PgDumpError(`could not run ${pgDump.path}: ${error.message}`)));
  child.on("close", (code, signal) => {
    if (code === 0) out.end();
    else out.destroy(new PgDumpError(`pg_dump failed (${signal ? `killed by ${signal}` : `exit ${code}`}): ${redactText(err.trim(), [password]) || "no message"}`));
  });
  // A reader that gives up (an upload failed) stops pg_dump too.
  out.on("close", () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  });
  return out;
}

/** The size of the chunks a dump stream hands on (see {@link Coalescer}). */
export const DUMP_CHUNK_BYTES = 1024 * 1024;

/**
 * Gathers small chunks into chunks of about `size` bytes (the last one may be smaller). pg_dump
 * writes its output in 4 KiB pieces (its stdout buffer on a pipe), and every later stage — counting,
 * hashing, writing the file, filling an upload part — costs something per chunk: gathered, each
 * runs once per MiB instead of 256 times. Holds at most `size` bytes plus one chunk.
 */
export class Coalescer extends Transform {
  private parts: Buffer[] = [];
  private held = 0;

  constructor(private readonly size: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.parts.push(chunk);
    this.held += chunk.length;
    if (this.held >= this.size) this.release();
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.release();
    callback();
  }

  private release(): void {
    if (this.held === 0) return;
    this.push(this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.held));
    this.parts = [];
    this.held = 0;
  }
}
