import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import type { EngineOptions } from "../../src/migrate/run";
import { upMigrations } from "../../src/migrate/verbs/up";
import type { StackSettings } from "../../src/settings/stack-settings";

/**
 * The contenders of the migration benchmark. Each one applies the same generated migrations to
 * its own fresh database over loopback; the same call, run again, is its no-op (everything
 * applied). A contender's run is timed from the call to its return, so it includes connecting,
 * reading the files and, for the CLI, starting the process.
 */

/** What a contender needs to know about the run. */
export interface BenchContext {
  /** The migrations in dbpipe's layout (the bench project's `migrations/`). */
  dbpipeDir: string;
  /** The same migrations in postgrator's layout. */
  postgratorDir: string;
  /** The bench project folder (Pulumi.yaml, Pulumi.dev.yaml, migrations/): the CLI's working directory. */
  projectDir: string;
  /** The repository root (for `bin/dbpipe.js`). */
  repoRoot: string;
  /** The dev stack's settings, as the CLI reads them from the bench project. */
  settings: StackSettings;
  /** How many migrations there are. */
  count: number;
}

/** One contender. */
export interface Contender {
  /** Short id, used in database names and reports. */
  id: string;
  /** What it is, for the report. */
  label: string;
  /** Applies every pending migration to `url` (database `database`); returns how many it applied. */
  run(url: string, database: string): Promise<number>;
  /** False when it has no no-op to measure (the floor has no history to compare against). */
  hasNoop: boolean;
}

/** The `.sql` files of a folder, in name order (the generated names are zero-padded). */
function sqlFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((f) => path.join(dir, f));
}

async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * The floor, cheapest correct form: one session; per file, one simple-protocol query
 * `BEGIN; <file>; COMMIT;` — one round trip, the file in its own transaction. A failure leaves the
 * transaction aborted (the server skips the rest of the string), so the client rolls it back.
 * No history is written: this is what PostgreSQL itself needs to run the files.
 */
export function floorOneTrip(ctx: BenchContext): Contender {
  return {
    id: "floor1",
    label: "floor: `BEGIN; file; COMMIT` as one query per file (1 round trip)",
    hasNoop: false,
    run: (url) =>
      withClient(url, async (client) => {
        let n = 0;
        for (const file of sqlFiles(ctx.dbpipeDir)) {
          const sql = fs.readFileSync(file, "utf8");
          try {
            await client.query(`BEGIN;\n${sql}\n;\nCOMMIT;`);
          } catch (error) {
            await client.query("ROLLBACK").catch(() => undefined);
            throw new Error(`${path.basename(file)}: ${(error as Error).message}`);
          }
          n++;
        }
        return n;
      }),
  };
}

/** The floor as three round trips per file: `BEGIN`, the file, `COMMIT`. Shown to size a round trip. */
export function floorThreeTrips(ctx: BenchContext): Contender {
  return {
    id: "floor3",
    label: "floor: `BEGIN` / file / `COMMIT` as three queries per file",
    hasNoop: false,
    run: (url) =>
      withClient(url, async (client) => {
        let n = 0;
        for (const file of sqlFiles(ctx.dbpipeDir)) {
          const sql = fs.readFileSync(file, "utf8");
          await client.query("BEGIN");
          try {
            await client.query(sql);
            await client.query("COMMIT");
          } catch (error) {
            await client.query("ROLLBACK").catch(() => undefined);
            throw new Error(`${path.basename(file)}: ${(error as Error).message}`);
          }
          n++;
        }
        return n;
      }),
  };
}

/**
 * The floor in a new process (`floor-process.js`): the same one-query-per-file loop as
 * {@link floorOneTrip}, paying Node's start-up, loading `pg` and reading the files, as the CLI does.
 * The like-for-like yardstick of the CLI.
 */
export function floorProcess(ctx: BenchContext): Contender {
  return {
    id: "floor_proc",
    label: "floor in a new process (`node bench/migrate/floor-process.js`: one `pg` Client, `BEGIN; file; COMMIT` per file)",
    hasNoop: false,
    run: async (url) => {
      const result = await runNode([path.join(__dirname, "floor-process.js"), ctx.dbpipeDir, url], ctx.projectDir, CLI_TIMEOUT_MS);
      const m = /applied (\d+)/.exec(result.tail);
      if (result.code !== 0 || !m) throw new Error(`floor-process.js exited with ${result.code}:\n${result.tail}`);
      return Number(m[1]);
    },
  };
}

/** The engine's options for the bench project and a database, as the CLI builds them. */
export function engineOptionsFor(ctx: BenchContext, url: string): EngineOptions {
  return { settings: ctx.settings, migrationsDir: ctx.dbpipeDir, databaseUrl: url, displayBase: ctx.projectDir };
}

/** dbpipe as a library: `upMigrations(options)`, in this process. */
export function dbpipeLibrary(ctx: BenchContext): Contender {
  return {
    id: "lib",
    label: "dbpipe `upMigrations()` (library, in process)",
    hasNoop: true,
    run: async (url) => (await upMigrations(engineOptionsFor(ctx, url))).applied.length,
  };
}

/** What a finished child process left. */
export interface ProcessResult {
  /** Exit code (null when killed by a signal). */
  code: number | null;
  /** Its output, both streams, last 4 kB. */
  tail: string;
}

/** Runs `node <args>` in `cwd`, killing it after `timeoutMs`. */
export function runNode(args: readonly string[], cwd: string, timeoutMs: number): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
    // The URL comes from the flag; nothing in the environment may redirect the run elsewhere.
    delete env.DATABASE_URL;
    delete env.DATABASE_URL_DIRECT;
    // A CA bundle to load at start-up (set on some build machines) costs every Node process
    // ~150 ms here; no TLS is involved on loopback, and a developer's shell rarely has it.
    delete env.NODE_EXTRA_CA_CERTS;
    const child = spawn(process.execPath, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs, killSignal: "SIGKILL" });
    let tail = "";
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString("utf8")).slice(-4096);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, tail }));
  });
}

/** Longest a single CLI run may take before it is killed. */
const CLI_TIMEOUT_MS = 15 * 60_000;

/**
 * dbpipe as users run it: `node bin/dbpipe.js up --stack dev --database-url <url>` in the bench
 * project, text output to a pipe (as in CI). Includes process start, module loading, reading the
 * stack file, loading the files and the whole run.
 */
export function dbpipeCli(ctx: BenchContext): Contender {
  return {
    id: "cli",
    label: "dbpipe CLI `node bin/dbpipe.js up --database-url ...` (new process)",
    hasNoop: true,
    run: async (url) => {
      const result = await runNode([path.join(ctx.repoRoot, "bin", "dbpipe.js"), "up", "--stack", "dev", "--database-url", url], ctx.projectDir, CLI_TIMEOUT_MS);
      if (result.code !== 0) throw new Error(`dbpipe up exited with ${result.code}:\n${result.tail}`);
      const m = /Applied (\d+) migration/.exec(result.tail);
      if (m) return Number(m[1]);
      if (/Nothing to apply/.test(result.tail)) return 0;
      throw new Error(`unexpected dbpipe up output:\n${result.tail}`);
    },
  };
}

/** postgrator's default export, loaded once (it is an ES module). */
type PostgratorClass = (typeof import("postgrator"))["default"];
let postgratorClass: PostgratorClass | undefined;

/** Loads postgrator before anything is timed, as dbpipe's library is loaded by the import above. */
export async function loadPostgrator(): Promise<void> {
  postgratorClass ??= (await import("postgrator")).default;
}

/**
 * postgrator 8 as its README shows it: a `pg` Client, `new Postgrator({ migrationPattern, driver:
 * "pg", database, schemaTable, execQuery })`, `migrate()`. Its defaults: md5 checksums validated,
 * each file sent whole as one query (an implicit transaction), then its history row as a second
 * query — not in the file's transaction.
 */
export function postgrator(ctx: BenchContext): Contender {
  return {
    id: "postgrator",
    label: "postgrator 8.0.0 `migrate()` (library, in process)",
    hasNoop: true,
    run: (url, database) =>
      withClient(url, async (client) => {
        if (!postgratorClass) throw new Error("call loadPostgrator() first");
        const p = new postgratorClass({
          migrationPattern: path.join(ctx.postgratorDir, "*"),
          driver: "pg",
          database,
          schemaTable: "schemaversion",
          execQuery: (query: string) => client.query(query),
        });
        return (await p.migrate()).length;
      }),
  };
}

/**
 * postgrator in a new process (`bench/migrate/postgrator-process.js`, what postgrator-cli does):
 * the like-for-like counterpart of the dbpipe CLI.
 */
export function postgratorProcess(ctx: BenchContext): Contender {
  return {
    id: "postgrator_proc",
    label: "postgrator 8.0.0 in a new process (`node bench/migrate/postgrator-process.js`)",
    hasNoop: true,
    run: async (url, database) => {
      const result = await runNode([path.join(__dirname, "postgrator-process.js"), ctx.postgratorDir, url, database], ctx.projectDir, CLI_TIMEOUT_MS);
      const m = /applied (\d+)/.exec(result.tail);
      if (result.code !== 0 || !m) throw new Error(`postgrator-process.js exited with ${result.code}:\n${result.tail}`);
      return Number(m[1]);
    },
  };
}

/**
 * The least a no-op can cost with dbpipe's design: connect, read the recorded versions and
 * checksums in one query, read and sha256 every file, compare, disconnect. Runs against a
 * database dbpipe migrated. Not a contender: the yardstick for dbpipe's no-op.
 */
export async function noopFloor(ctx: BenchContext, url: string): Promise<number> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ version: string; checksum: string }>("SELECT version, checksum FROM dbpipe.schema_migrations");
    const recorded = new Map(rows.map((r) => [r.version, r.checksum]));
    let pending = 0;
    for (const file of sqlFiles(ctx.dbpipeDir)) {
      const version = /^(\d+)_/.exec(path.basename(file))![1];
      const sum = createHash("sha256").update(fs.readFileSync(file, "utf8"), "utf8").digest("hex");
      if (recorded.get(version) !== sum) pending++;
    }
    return pending;
  });
}

/** Reads and sha256-hashes every file, nothing else: the file part of {@link noopFloor}. */
export function readAndHashFiles(dir: string): number {
  let n = 0;
  for (const file of sqlFiles(dir)) {
    createHash("sha256").update(fs.readFileSync(file, "utf8"), "utf8").digest("hex");
    n++;
  }
  return n;
}

/**
 * The contenders whose ratio is a goal run back to back in every round, so that each ratio is
 * taken minutes apart at most: the floor before the library, the new-process floor before the CLI,
 * postgrator's two forms together. Each pair's order flips every other round.
 */
const PAIRS: readonly (readonly string[])[] = [
  ["floor1", "lib"],
  ["floor_proc", "cli"],
  ["postgrator", "postgrator_proc"],
];

/** The order of one round: the pairs (and the others alone) rotated by the round, each pair flipped on odd rounds. */
export function roundOrder<C extends { id: string }>(contenders: readonly C[], round: number): C[] {
  const units: C[][] = [];
  const placed = new Set<string>();
  for (const c of contenders) {
    if (placed.has(c.id)) continue;
    const pair = PAIRS.find((p) => p.includes(c.id));
    const unit = pair ? contenders.filter((x) => pair.includes(x.id)) : [c];
    for (const x of unit) placed.add(x.id);
    units.push(round % 2 === 1 ? [...unit].reverse() : unit);
  }
  return units.map((_, i) => units[(i + round) % units.length]).flat();
}
