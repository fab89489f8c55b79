import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Client } from "pg";
import { FailureError } from "../errors";
import { redactText } from "../redact";

/**
 * pg_dump, the backup tool. Its major version must be at least the server's — the classic failure
 * ("server version mismatch") — so that is checked before anything starts. The password reaches
 * pg_dump through its environment, never its command line (which `ps` shows to every user).
 */

/** A pg_dump found on this machine. */
export interface PgDump {
  /** Its path. */
  path: string;
  /** Its major version (15 for 15.18). */
  major: number;
  /** Its full version text, e.g. `15.18`. */
  version: string;
}

/** pg_dump is missing or too old for the server. */
export class PgDumpError extends FailureError {}

/** Reads a pg_dump's version; undefined when it cannot run. */
export function pgDumpVersion(file: string): PgDump | undefined {
  const run = spawnSync(file, ["--version"], { encoding: "utf8", timeout: 10_000 });
  const m = /pg_dump \(PostgreSQL\) (\d+)(?:\.(\d+))?/.exec(run.stdout ?? "");
  if (run.status !== 0 || !m) return undefined;
  return { path: file, major: Number(m[1]), version: m[2] ? `${m[1]}.${m[2]}` : m[1] };
}

/**
 * Finds a pg_dump whose major version is at least `serverMajor`: `DBPIPE_PG_DUMP` when set, else
 * the newest of `pg_dump` on the PATH and Debian's `/usr/lib/postgresql/<major>/bin/pg_dump`.
 */
export function findPgDump(serverMajor: number, env: NodeJS.ProcessEnv = process.env): PgDump {
  const candidates: string[] = [];
  if (env.DBPIPE_PG_DUMP) candidates.push(env.DBPIPE_PG_DUMP);
  else {
    for (const dir of (env.PATH ?? "").split(path.delimiter)) if (dir) candidates.push(path.join(dir, "pg_dump"));
    try {
      for (const major of fs.readdirSync("/usr/lib/postgresql")) candidates.push(path.join("/usr/lib/postgresql", major, "bin", "pg_dump"));
    } catch {
      // No Debian PostgreSQL packages on this machine.
    }
  }
  const found = [...new Set(candidates)]
    .filter((c) => fs.existsSync(c))
    .map(pgDumpVersion)
    .filter((d): d is PgDump => d !== undefined)
    .sort((a, b) => b.major - a.major);
  if (found.length === 0) {
    throw new PgDumpError(
      `pg_dump is needed for the pre-migration backup and was not found${env.DBPIPE_PG_DUMP ? ` at DBPIPE_PG_DUMP=${env.DBPIPE_PG_DUMP}` : ""}: ` +
        `install the PostgreSQL ${serverMajor} client (Debian: apt-get install postgresql-client-${serverMajor}), or set DBPIPE_PG_DUMP`,
    );
  }
  if (found[0].major < serverMajor) {
    throw new PgDumpError(
      `pg_dump ${found[0].version} (${found[0].path}) cannot dump a PostgreSQL ${serverMajor} server: pg_dump's major version must be at least the server's. ` +
        `Install the PostgreSQL ${serverMajor} client (Debian: apt-get install postgresql-client-${serverMajor}), or set DBPIPE_PG_DUMP`,
    );
  }
  return found[0];
}

/** The server's major version. */
export async function serverMajor(client: Client): Promise<number> {
  const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  return Math.floor(Number(rows[0].v) / 10000);
}

/** What a finished dump is. */
export interface DumpResult {
  /** The dump file (custom format, for pg_restore). */
  file: string;
  /** Its size in bytes. */
  bytes: number;
  /** sha256 of its content. */
  sha256: string;
  /** How long pg_dump took, in ms. */
  ms: number;
}

/**
 * Dumps the database at `url` to `file` in pg_dump's custom format. Writes to `<file>.partial`
 * and renames it when pg_dump succeeded, so a failed or interrupted dump never looks like a backup.
 */
export async function dumpToFile(pgDump: PgDump, url: string, file: string): Promise<DumpResult> {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = "";
  const partial = `${file}.partial`;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(pgDump.path, ["--format=custom", "--no-password", `--file=${partial}`, `--dbname=${parsed.toString()}`], {
      env: { ...process.env, PGPASSWORD: password, PGAPPNAME: "dbpipe-backup" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("error", (error) => reject(new PgDumpError(`could not run ${pgDump.path}: ${error.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolve();
      else reject(new PgDumpError(`pg_dump failed (exit ${code}): ${redactText(err.trim(), [password])}; nothing was migrated`));
    });
  }).catch((error) => {
    fs.rmSync(partial, { force: true });
    throw error;
  });
  fs.chmodSync(partial, 0o600);
  fs.renameSync(partial, file);
  const ms = Math.round(performance.now() - started);
  // Streamed: a production dump can be far larger than memory.
  const hash = createHash("sha256");
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return { file, bytes: fs.statSync(file).size, sha256: hash.digest("hex"), ms };
}
