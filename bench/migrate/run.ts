import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Client } from "pg";
import { startEmbedded } from "../../src/local/embedded";
import { loadFiles } from "../../src/migrate/files";
import { readHistory } from "../../src/migrate/history";
import { connect } from "../../src/migrate/session";
import { loadStackSettings } from "../../src/settings/stack-file";
import { type Figure, formatRounds, packageVersion, pairedFigure } from "../part";
import { clientCpu, cpuTimesAvailable, postmasterPid, serverCpu } from "./cpu";
import {
  type BenchContext,
  type Contender,
  dbpipeCli,
  dbpipeLibrary,
  engineOptionsFor,
  floorOneTrip,
  floorProcess,
  floorThreeTrips,
  loadPostgrator,
  noopFloor,
  postgrator,
  postgratorProcess,
  readAndHashFiles,
  roundOrder,
  runNode,
} from "./contenders";
import { type GeneratedMigration, generateMigrations, generateWideMigrations, writeMigrationFolders } from "./generate";

/**
 * The migration benchmark: dbpipe against the floor (each file in its own transaction, one query
 * per file, over one session) and against postgrator, on the same generated migrations, each
 * contender on a fresh database of one real PostgreSQL over loopback. Measures (a) applying every
 * migration to an empty database and (b) a no-op run when everything is applied, then times the
 * parts of a no-op one by one. Prints a Markdown report and writes it, with the raw samples, to
 * bench/work/migrate/. Figures, never assertions: nothing here runs in `npm test`.
 *
 * Run: `npm run bench:migrate` (builds dist/ for the CLI first), or after a build
 * `node -r ts-node/register/transpile-only bench/migrate/run.ts [--runs 5] [--noop-repeats 7]`.
 */

const HELP = `usage: node -r ts-node/register/transpile-only bench/migrate/run.ts [options]

  --runs <n>          measured rounds of the long history; each contender applies everything once
                      per round (default 5)
  --wide-runs <n>     measured rounds of the wide history, whose CLI ÷ new-process floor goal sits
                      within this machine's noise (default 9)
  --warmup <n>        rounds run first and discarded (default 1)
  --noop-repeats <n>  no-op runs after each apply (default 7)
  --count <n>         migrations of the long history (default 1000)
  --wide-count <n>    migrations of the wide history (default 300)
  --wide-statements <n>  statements per migration of the wide history, about (default 20)
  --workloads <ids>   comma-separated: history (the long one), wide (default both)
  --only <ids>        comma-separated contenders: floor1,floor3,floor_proc,lib,cli,postgrator,postgrator_proc
                      (default all)
  --quick             the report runner's mode: --runs 3 --wide-runs 3 --warmup 1 --noop-repeats 3, the no-op's
                      parts skipped (each unless given); about 3 minutes on a quiet 2-core machine
  --json <file>       also write the figures as JSON (the bench report's part format)
  --admin-url <url>   an existing PostgreSQL on loopback (superuser; default: $BENCH_ADMIN_URL,
                      else an embedded PostgreSQL 15 in bench/work/migrate/pg, removed after)
  --max-minutes <n>   stop the whole run after this long (default 90)
  --keep              keep the embedded server's data folder
`;

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const WORK_DIR = path.join(REPO_ROOT, "bench", "work", "migrate");

interface Options {
  runs: number;
  wideRuns: number;
  warmup: number;
  noopRepeats: number;
  count: number;
  wideCount: number;
  wideStatements: number;
  workloads: Set<string>;
  only?: Set<string>;
  quick: boolean;
  json?: string;
  adminUrl?: string;
  maxMinutes: number;
  keep: boolean;
}

function readOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string" },
      "wide-runs": { type: "string" },
      warmup: { type: "string" },
      "noop-repeats": { type: "string" },
      count: { type: "string" },
      "wide-count": { type: "string" },
      "wide-statements": { type: "string" },
      workloads: { type: "string" },
      only: { type: "string" },
      quick: { type: "boolean" },
      json: { type: "string" },
      "admin-url": { type: "string" },
      "max-minutes": { type: "string" },
      keep: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const int = (value: string | undefined, fallback: number, min: number, max: number, name: string): number => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
  const quick = Boolean(values.quick);
  const workloads = new Set((values.workloads ?? "history,wide").split(",").map((s) => s.trim()));
  for (const w of workloads) if (w !== "history" && w !== "wide") throw new Error(`--workloads: no workload ${w} (history, wide)`);
  return {
    runs: int(values.runs, quick ? 3 : 5, 1, 50, "runs"),
    wideRuns: int(values["wide-runs"], quick ? 3 : 9, 1, 50, "wide-runs"),
    warmup: int(values.warmup, 1, 0, 5, "warmup"),
    noopRepeats: int(values["noop-repeats"], quick ? 3 : 7, 1, 100, "noop-repeats"),
    count: int(values.count, 1000, 10, 9999, "count"),
    wideCount: int(values["wide-count"], 300, 10, 9999, "wide-count"),
    wideStatements: int(values["wide-statements"], 20, 2, 200, "wide-statements"),
    workloads,
    only: values.only ? new Set(values.only.split(",").map((s) => s.trim())) : undefined,
    quick,
    json: values.json,
    adminUrl: values["admin-url"] ?? (process.env.BENCH_ADMIN_URL || undefined),
    maxMinutes: int(values["max-minutes"], 90, 1, 24 * 60, "max-minutes"),
    keep: Boolean(values.keep),
  };
}

const log = (message: string): void => {
  process.stderr.write(`[bench] ${message}\n`);
};

/** Milliseconds `fn` takes. */
async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

/** One timed run: wall time, and CPU time on each side of the wire (0 when not measurable). */
interface Sample {
  /** Wall-clock ms, from the call to its return. */
  wall: number;
  /** CPU ms of this process and of the children that exited meanwhile (the CLI). */
  client: number;
  /** CPU ms of the whole PostgreSQL server. */
  server: number;
}

/** Measures one run; waits for the run's sessions on `database` to end before reading the server's CPU. */
type Measure = <T>(fn: () => Promise<T>, database?: string) => Promise<{ sample: Sample; value: T }>;

function measurer(admin: Client, postmaster: number | undefined): Measure {
  const clientTotal = () => {
    const c = clientCpu();
    return c.self + c.children;
  };
  return async (fn, database) => {
    const s0 = postmaster ? serverCpu(postmaster) : 0;
    const c0 = clientTotal();
    const started = performance.now();
    const value = await fn();
    const wall = performance.now() - started;
    if (database) {
      // A backend's CPU time moves to the postmaster's reaped-children total when it exits;
      // wait for that so the run is counted whole (bounded: 5 s).
      for (let i = 0; i < 100; i++) {
        const { rows } = await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1", [database]);
        if (rows[0].n === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const c1 = clientTotal();
    const s1 = postmaster ? serverCpu(postmaster) : 0;
    return { value, sample: { wall, client: c1 - c0, server: s1 - s0 } };
  };
}

/** Median, min and max of some samples. */
interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
}

function summarise(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { n: s.length, median, min: s[0], max: s[s.length - 1] };
}

function withDatabase(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

function assertLoopback(url: string): void {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  if (!["127.0.0.1", "localhost", "::1"].includes(host)) {
    throw new Error(`the benchmark runs against loopback only; ${host} is not (use 127.0.0.1, localhost or ::1)`);
  }
}

/** What the schema holds, to check every contender built the same thing. */
async function fingerprint(url: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ f: string }>(`
      SELECT concat_ws(' ',
        (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relname NOT LIKE 'schemaversion%' AND c.relkind = 'r') || ' tables',
        (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relname NOT LIKE 'schemaversion%' AND c.relkind = 'i') || ' indexes',
        (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind = 'v') || ' views',
        (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public') || ' functions',
        (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal) || ' triggers',
        (SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'schemaversion' AND a.attnum > 0 AND NOT a.attisdropped) || ' columns') AS f`);
    return rows[0].f;
  } finally {
    await client.end();
  }
}

/** Warns when a compiled file in dist/ is older than its source: the CLI would run old code. */
function staleDist(): string[] {
  const stale: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".ts")) {
        const js = path.join(REPO_ROOT, "dist", path.relative(path.join(REPO_ROOT, "src"), full)).replace(/\.ts$/, ".js");
        if (!fs.existsSync(js) || fs.statSync(js).mtimeMs < fs.statSync(full).mtimeMs) stale.push(path.relative(REPO_ROOT, full));
      }
    }
  };
  walk(path.join(REPO_ROOT, "src"));
  return stale;
}

function git(args: string[]): string {
  try {
    return execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
}

/** The bench project the CLI runs in: its own Pulumi.yaml, a dev stack file and the migrations. */
function writeProject(projectDir: string): void {
  fs.writeFileSync(path.join(projectDir, "Pulumi.yaml"), "# Generated by bench/migrate/run.ts.\nname: dbpipe-bench\nruntime: nodejs\n");
  fs.writeFileSync(
    path.join(projectDir, "Pulumi.dev.yaml"),
    "# Generated by bench/migrate/run.ts: the dev tier's defaults.\nconfig:\n  dbpipe:tier: dev\n  dbpipe:migrationsDir: migrations\n",
  );
}

const fmt = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`);
const pct = (ratio: number): string => `${(ratio * 100).toFixed(1)}%`;

/** A history to apply, and which contenders apply it. */
interface Workload {
  /** `history` (many small migrations) or `wide` (fewer, of about 20 statements each). */
  id: string;
  /** What it is, for the report. */
  title: string;
  migrations: GeneratedMigration[];
  /** The contenders that apply it. */
  contenders: readonly string[];
  /** Whether no-ops (and the parts of one) are measured on it. */
  noops: boolean;
  /** Measured rounds. */
  runs: number;
}

/** What one workload's rounds measured. */
interface WorkloadResult {
  workload: Workload;
  ctx: BenchContext;
  bytes: number;
  contenders: Contender[];
  schema: string;
  /** Apply samples by contender, one per measured round, in round order. */
  apply: Map<string, Sample[]>;
  noop: Map<string, Sample[]>;
  noopFloor: Sample[];
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  const deadline = setTimeout(() => {
    log(`stopping: the run passed --max-minutes ${options.maxMinutes}`);
    void cleanup().finally(() => process.exit(1));
  }, options.maxMinutes * 60_000);
  deadline.unref();

  if (!fs.existsSync(path.join(REPO_ROOT, "dist", "cli", "main.js"))) throw new Error("dist/ is not built: run `npm run build` first (npm run bench:migrate does)");
  const stale = staleDist();
  if (stale.length > 0) log(`warning: dist/ is older than ${stale.length} source file(s) (${stale.slice(0, 3).join(", ")}...): the CLI figures are for the old build`);

  const workloads: Workload[] = [];
  if (options.workloads.has("history")) {
    workloads.push({
      id: "history",
      title: `${options.count.toLocaleString("en")} migrations of a few statements each`,
      migrations: generateMigrations(options.count),
      contenders: ["floor1", "floor3", "floor_proc", "lib", "cli", "postgrator", "postgrator_proc"],
      noops: true,
      runs: options.runs,
    });
  }
  if (options.workloads.has("wide")) {
    workloads.push({
      id: "wide",
      title: `${options.wideCount} migrations of about ${options.wideStatements} statements each (tables, indexes, seed rows, functions, views)`,
      migrations: generateWideMigrations(options.wideCount, options.wideStatements),
      contenders: ["floor1", "floor_proc", "lib", "cli", "postgrator_proc"],
      noops: false,
      runs: options.wideRuns,
    });
  }

  // The server.
  let adminUrl: string;
  if (options.adminUrl) {
    adminUrl = options.adminUrl;
  } else {
    log("starting the embedded PostgreSQL...");
    const server = await startEmbedded({ dataDir: path.join(WORK_DIR, "pg") });
    adminUrl = server.url;
    stopServer = async () => {
      await server.stop();
      if (!options.keep) fs.rmSync(path.join(WORK_DIR, "pg"), { recursive: true, force: true });
    };
  }
  assertLoopback(adminUrl);
  const loadBefore = os.loadavg();
  const adminClient = new Client({ connectionString: adminUrl });
  await adminClient.connect();
  closeAdmin = () => adminClient.end();
  const show = async (name: string) => (await adminClient.query<Record<string, string>>(`SHOW ${name}`)).rows[0][name];
  const serverInfo: Record<string, string> = {};
  for (const name of ["server_version", "fsync", "synchronous_commit", "wal_sync_method", "full_page_writes", "shared_buffers", "max_wal_size", "data_directory"]) {
    serverInfo[name] = await show(name);
  }
  // Leftovers of an interrupted run.
  const { rows: leftovers } = await adminClient.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'bench\\_%'");
  for (const r of leftovers) await adminClient.query(`DROP DATABASE "${r.datname}" WITH (FORCE)`);
  const postmaster = cpuTimesAvailable() ? postmasterPid(serverInfo.data_directory) : undefined;
  log(`PostgreSQL ${serverInfo.server_version} at ${new URL(adminUrl).host}${postmaster ? `, postmaster pid ${postmaster}` : " (its CPU time cannot be read from here)"}`);
  const measure = measurer(adminClient, postmaster);
  await loadPostgrator();

  const results: WorkloadResult[] = [];
  for (const workload of workloads) {
    // The migrations, in both layouts, and the bench project the CLI runs in.
    const root = path.join(WORK_DIR, workload.id);
    fs.mkdirSync(root, { recursive: true });
    const folders = writeMigrationFolders(root, workload.migrations);
    const projectDir = path.dirname(folders.dbpipe);
    writeProject(projectDir);
    const count = workload.migrations.length;
    const ctx: BenchContext = {
      dbpipeDir: folders.dbpipe,
      postgratorDir: folders.postgrator,
      projectDir,
      repoRoot: REPO_ROOT,
      settings: loadStackSettings(projectDir, "dev"),
      count,
    };
    log(`${workload.id}: generated ${count} migrations (${(folders.bytes / 1024).toFixed(0)} KiB) in ${path.relative(REPO_ROOT, root)}`);
    const factories: Record<string, (c: BenchContext) => Contender> = {
      floor1: floorOneTrip,
      floor3: floorThreeTrips,
      floor_proc: floorProcess,
      lib: dbpipeLibrary,
      cli: dbpipeCli,
      postgrator,
      postgrator_proc: postgratorProcess,
    };
    const contenders = workload.contenders.filter((id) => !options.only || options.only.has(id)).map((id) => factories[id](ctx));
    const apply = new Map<string, Sample[]>(contenders.map((c) => [c.id, []]));
    const noop = new Map<string, Sample[]>(contenders.filter((c) => c.hasNoop && workload.noops).map((c) => [c.id, []]));
    const noopFloorSamples: Sample[] = [];
    let expectedSchema: string | undefined;

    const rounds = options.warmup + workload.runs;
    for (let round = 0; round < rounds; round++) {
      const warm = round < options.warmup;
      // A different order each round, so no contender always runs first or last; the pairs whose
      // ratio is a goal run back to back.
      const order = roundOrder(contenders, round);
      for (const c of order) {
        const database = `bench_${workload.id}_${c.id}_${round}`;
        const url = withDatabase(adminUrl, database);
        await adminClient.query(`CREATE DATABASE ${database}`);
        await adminClient.query("CHECKPOINT");
        const a = await measure(() => c.run(url, database), database);
        if (a.value !== count) throw new Error(`${c.id} applied ${a.value} migrations, expected ${count}`);
        const schema = await fingerprint(url);
        expectedSchema ??= schema;
        if (schema !== expectedSchema) throw new Error(`${c.id} built a different schema: ${schema}; expected ${expectedSchema}`);
        if (!warm) apply.get(c.id)!.push(a.sample);
        const noops: Sample[] = [];
        if (c.hasNoop && workload.noops) {
          for (let k = 0; k < options.noopRepeats; k++) {
            const b = await measure(() => c.run(url, database), database);
            if (b.value !== 0) throw new Error(`${c.id}'s no-op applied ${b.value} migrations`);
            noops.push(b.sample);
          }
          if (!warm) noop.get(c.id)!.push(...noops);
        }
        if (c.id === "lib" && workload.noops) {
          for (let k = 0; k < options.noopRepeats; k++) {
            const f = await measure(() => noopFloor(ctx, url), database);
            if (f.value !== 0) throw new Error(`the no-op floor found ${f.value} files that differ from dbpipe's history`);
            if (!warm) noopFloorSamples.push(f.sample);
          }
        }
        await adminClient.query(`DROP DATABASE ${database} WITH (FORCE)`);
        log(
          `${workload.id} ${warm ? "warm-up" : `round ${round - options.warmup + 1}/${workload.runs}`} ${c.id}: apply ${fmt(a.sample.wall)} (cpu ${fmt(a.sample.client)} + server ${fmt(a.sample.server)})` +
            (noops.length > 0 ? `, no-op median ${fmt(summarise(noops.map((x) => x.wall)).median)}` : ""),
        );
      }
    }
    results.push({ workload, ctx, bytes: folders.bytes, contenders, schema: expectedSchema ?? "", apply, noop, noopFloor: noopFloorSamples });
  }

  // The parts of a no-op, one by one, on a database dbpipe migrated (the long history).
  const parts = new Map<string, number[]>();
  const history = results.find((r) => r.workload.noops);
  if (history && !options.quick) {
    log("timing the parts of a no-op...");
    const { ctx } = history;
    const sample = async (name: string, fn: () => Promise<unknown> | unknown) => {
      const samples: number[] = [];
      for (let k = 0; k < options.noopRepeats; k++) samples.push((await timed(fn)).ms);
      parts.set(name, samples);
    };
    const partsDb = "bench_parts";
    const partsUrl = withDatabase(adminUrl, partsDb);
    await adminClient.query(`CREATE DATABASE ${partsDb}`);
    await dbpipeLibrary(ctx).run(partsUrl, partsDb);
    const n = ctx.count.toLocaleString("en");
    await sample(`dbpipe \`loadFiles()\`: list, read, decode, directives, sha256 of ${n} files`, () => loadFiles(engineOptionsFor(ctx, partsUrl)));
    await sample(`plain \`readFileSync\` + sha256 of the ${n} files`, () => readAndHashFiles(ctx.dbpipeDir));
    await sample("connect + disconnect (dbpipe's `connect()`; SCRAM-SHA-256 password auth)", async () => (await connect(partsUrl)).end());
    const open = await connect(partsUrl);
    await sample(`\`readHistory()\` on an open session (${n} rows)`, () => readHistory(open));
    await open.end();
    await sample("CLI start-up: `node bin/dbpipe.js --version`", async () => {
      const r = await runNode([path.join(REPO_ROOT, "bin", "dbpipe.js"), "--version"], ctx.projectDir, 60_000);
      if (r.code !== 0) throw new Error(`dbpipe --version exited with ${r.code}: ${r.tail}`);
    });
    await sample("bare Node start-up: `node -e 0`", async () => {
      const r = await runNode(["-e", "0"], ctx.projectDir, 60_000);
      if (r.code !== 0) throw new Error(`node -e 0 exited with ${r.code}`);
    });
    await adminClient.query(`DROP DATABASE ${partsDb} WITH (FORCE)`);
  }
  const loadAfter = os.loadavg();

  // The report.
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
  const version = packageVersion;
  const commit = git(["rev-parse", "--short", "HEAD"]);
  const dirty = git(["status", "--porcelain", "--", "src", "bin"]) !== "";
  const cpus = os.cpus();
  const cpu = postmaster !== undefined;
  const lines: string[] = [];
  const out = (line = "") => lines.push(line);
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
  const machine = `${cpus.length} × ${cpus[0]?.model ?? "?"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}; load average ${load(loadBefore)} before, ${load(loadAfter)} after`;
  out(`# Migration benchmark — ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`);
  out();
  out(`- Machine: ${machine}`);
  out(
    `- Node ${process.version}; PostgreSQL ${serverInfo.server_version} (${options.adminUrl ? "given server" : "embedded"}, loopback TCP), fsync=${serverInfo.fsync}, synchronous_commit=${serverInfo.synchronous_commit}, ` +
      `wal_sync_method=${serverInfo.wal_sync_method}, full_page_writes=${serverInfo.full_page_writes}, shared_buffers=${serverInfo.shared_buffers}, max_wal_size=${serverInfo.max_wal_size}`,
  );
  out(
    `- dbpipe ${pkg.version} at ${commit || "?"}${dirty ? " with uncommitted changes under src/ or bin/" : ""}${stale.length > 0 ? ` (dist/ older than ${stale.length} source files)` : ""}; ` +
      `postgrator ${version("postgrator")}; pg ${version("pg")}`,
  );
  out(
    `- ${results.map((r) => `${r.workload.runs} measured rounds of ${r.workload.id}`).join(", ")}, each after ${options.warmup} warm-up${options.quick ? " (--quick)" : ""}; ${options.noopRepeats} no-ops after each apply of the long history; ` +
      "each contender on a fresh database, CHECKPOINT before each apply, order rotated each round with the floor next to the library, the new-process floor next to the CLI; the CLI runs the bench project's dev stack",
  );
  out(
    cpu
      ? "- CPU: this process and its exited children (client), and PostgreSQL's whole process tree (server), from /proc, 10 ms ticks"
      : "- CPU: not measured (no /proc, or the server's postmaster.pid is not readable from here)",
  );
  out();
  const wall = (xs: readonly Sample[]) => summarise(xs.map((x) => x.wall));
  const cpuOf = (xs: readonly Sample[]) => summarise(xs.map((x) => x.client + x.server)).median;
  const figures: Figure[] = [];
  const goals: string[] = [];
  /** What a figure reads off a sample, in ms. */
  const wallMs = (x: Sample) => x.wall;
  const cpuMs = (x: Sample) => x.client + x.server;
  /**
   * A figure from two contenders' samples, taken in the same rounds (sample i of each in round i):
   * its ratio is the median of the per-round ratios (see pairedFigure).
   */
  const figure = (id: string, label: string, xs: readonly Sample[] | undefined, peer: string, ys: readonly Sample[] | undefined, of: (x: Sample) => number, limit?: number) => {
    if (!xs?.length || !ys || xs.length !== ys.length) return;
    const goal = limit === undefined ? undefined : { text: `≤ ${limit.toFixed(2)}×`, met: (ratio: number) => ratio <= limit };
    const f = pairedFigure(id, label, "s", peer, xs.map((x, i) => ({ value: of(x) / 1000, peerValue: of(ys[i]) / 1000 })), goal);
    if (f.ratio === undefined || !Number.isFinite(f.ratio)) return;
    figures.push(f);
    goals.push(
      `- ${label}: ${fmt(f.value * 1000)} against ${fmt((f.peerValue ?? 0) * 1000)} (${peer}), ${f.ratio.toFixed(2)}×, per round ${formatRounds(f.rounds)}` +
        (limit !== undefined ? ` (goal ≤ ${limit.toFixed(2)}×) — ${f.met ? "met" : "missed"}${f.rounds?.straddles ? ", within noise" : ""}` : ""),
    );
  };
  for (const r of results) {
    const { workload } = r;
    const count = r.ctx.count;
    out(`## Apply: ${workload.title}`);
    out();
    out(`${count} migrations, ${(r.bytes / 1024).toFixed(0)} KiB of SQL, to an empty database. Schema every contender built: ${r.schema}.`);
    out("Wall time from the call to its return (for a new process: spawn to exit). CPU columns are medians.");
    out();
    const floorSamples = r.apply.get("floor1");
    const floorWall = floorSamples?.length ? wall(floorSamples).median : undefined;
    const floorCpu = floorSamples?.length ? cpuOf(floorSamples) : undefined;
    /** Median over rounds of (contender ÷ floor) in the same round: the pairs ran minutes apart at most. */
    const paired = (xs: readonly Sample[]) =>
      floorSamples?.length === xs.length ? summarise(xs.map((x, i) => x.wall / floorSamples[i].wall)).median : undefined;
    out("| contender | median | min | max | n | per migration | ÷ floor (medians) | ÷ floor (paired, median) | client CPU | server CPU | CPU ÷ floor |");
    out("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const c of r.contenders) {
      const xs = r.apply.get(c.id)!;
      const s = wall(xs);
      const p = paired(xs);
      out(
        `| ${c.label} | ${fmt(s.median)} | ${fmt(s.min)} | ${fmt(s.max)} | ${s.n} | ${fmt(s.median / count)} | ${floorWall ? pct(s.median / floorWall) : "—"} | ${p ? pct(p) : "—"} | ` +
          `${cpu ? fmt(summarise(xs.map((x) => x.client)).median) : "—"} | ${cpu ? fmt(summarise(xs.map((x) => x.server)).median) : "—"} | ${cpu && floorCpu ? pct(cpuOf(xs) / floorCpu) : "—"} |`,
      );
    }
    out();
    const runs = (id: string) => r.apply.get(id);
    const w = workload.id;
    figure(`${w}.lib_vs_floor`, `apply (${w}), dbpipe library ÷ floor (wall)`, runs("lib"), "floor, in process", floorSamples, wallMs, 1.1);
    figure(`${w}.cli_vs_floor`, `apply (${w}), dbpipe CLI ÷ floor (wall)`, runs("cli"), "floor, in process", floorSamples, wallMs);
    figure(`${w}.cli_vs_floor_proc`, `apply (${w}), dbpipe CLI ÷ floor in a new process (wall)`, runs("cli"), "floor, new process", runs("floor_proc"), wallMs, 1.1);
    if (cpu) {
      figure(`${w}.cli_vs_floor_proc_cpu`, `apply (${w}), dbpipe CLI ÷ floor in a new process (CPU, client + server)`, runs("cli"), "floor, new process", runs("floor_proc"), cpuMs, 1.1);
      // The two sides apart: the client's is dbpipe's own work; the server's runs the same SQL
      // (plus dbpipe's history rows and lock), and is where this machine's noise is.
      figure(`${w}.cli_vs_floor_proc_client_cpu`, `apply (${w}), dbpipe CLI ÷ floor in a new process (client CPU only)`, runs("cli"), "floor, new process", runs("floor_proc"), (x) => x.client);
      figure(`${w}.cli_vs_floor_proc_server_cpu`, `apply (${w}), dbpipe CLI ÷ floor in a new process (the server's CPU only)`, runs("cli"), "floor, new process", runs("floor_proc"), (x) => x.server);
    }
    figure(`${w}.cli_vs_postgrator_proc`, `apply (${w}), dbpipe CLI ÷ postgrator in a new process (wall)`, runs("cli"), "postgrator, new process", runs("postgrator_proc"), wallMs, 1);

    if (workload.noops && r.noop.size > 0) {
      out(`## No-op: all ${count} applied`);
      out();
      out("| contender | median | min | max | n | client CPU | server CPU |");
      out("|---|---:|---:|---:|---:|---:|---:|");
      const noopRow = (label: string, xs: readonly Sample[]) => {
        const s = wall(xs);
        out(
          `| ${label} | ${fmt(s.median)} | ${fmt(s.min)} | ${fmt(s.max)} | ${s.n} | ` +
            `${cpu ? fmt(summarise(xs.map((x) => x.client)).median) : "—"} | ${cpu ? fmt(summarise(xs.map((x) => x.server)).median) : "—"} |`,
        );
      };
      for (const c of r.contenders.filter((x) => r.noop.has(x.id))) noopRow(c.label, r.noop.get(c.id)!);
      if (r.noopFloor.length > 0) noopRow("no-op floor: connect, one SELECT of versions + checksums, read + sha256 each file (in process)", r.noopFloor);
      out();
      figure("noop.lib_vs_postgrator", `no-op with ${count} applied, dbpipe library ÷ postgrator library (wall)`, r.noop.get("lib"), "postgrator, in process", r.noop.get("postgrator"), wallMs, 1);
      figure("noop.cli_vs_postgrator_proc", `no-op with ${count} applied, dbpipe CLI ÷ postgrator in a new process (wall)`, r.noop.get("cli"), "postgrator, new process", r.noop.get("postgrator_proc"), wallMs, 1);
    }
  }
  if (parts.size > 0) {
    out("## Parts of a no-op (dbpipe), one at a time");
    out();
    out("| part | median | min | max | n |");
    out("|---|---:|---:|---:|---:|");
    for (const [name, samples] of parts) {
      const s = summarise(samples);
      out(`| ${name} | ${fmt(s.median)} | ${fmt(s.min)} | ${fmt(s.max)} | ${s.n} |`);
    }
    out();
  }
  out("## Goals and ratios");
  out();
  for (const g of goals) out(g);
  const report = lines.join("\n") + "\n";

  const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  fs.mkdirSync(WORK_DIR, { recursive: true });
  fs.writeFileSync(path.join(WORK_DIR, `report-${stamp}.md`), report);
  fs.writeFileSync(
    path.join(WORK_DIR, `samples-${stamp}.json`),
    JSON.stringify(
      {
        options: { ...options, workloads: [...options.workloads], only: options.only ? [...options.only] : undefined, adminUrl: undefined },
        serverInfo,
        loadBefore,
        loadAfter,
        workloads: Object.fromEntries(results.map((r) => [r.workload.id, { apply: Object.fromEntries(r.apply), noop: Object.fromEntries(r.noop), noopFloor: r.noopFloor }])),
        parts: Object.fromEntries(parts),
      },
      null,
      2,
    ),
  );
  if (options.json) {
    const part = {
      part: "migrate",
      title: "Applying migrations: dbpipe (library and CLI) against the floor and postgrator",
      figures,
      notes: [
        `Machine: ${machine}.`,
        "Each ratio is the median of the per-round ratios (the pairs whose ratio is a goal run back to back in every round, the pair's order flipped every other round); " +
          "the values beside it are the medians of each. CPU figures are client + server CPU time (user + system, from /proc), and each side apart.",
        `Workloads: ${results.map((r) => `${r.workload.id} = ${r.workload.title} (${(r.bytes / 1024).toFixed(0)} KiB), ${r.workload.runs} rounds`).join("; ")}; after ${options.warmup} warm-up round${options.warmup === 1 ? "" : "s"} each${options.quick ? " (--quick)" : ""}.`,
        `PostgreSQL ${serverInfo.server_version}, loopback TCP, fsync=${serverInfo.fsync}, synchronous_commit=${serverInfo.synchronous_commit}.`,
      ],
      versions: { dbpipe: `${pkg.version}${commit ? ` (${commit}${dirty ? ", modified" : ""})` : ""}`, node: process.version, postgresql: serverInfo.server_version, postgrator: version("postgrator"), pg: version("pg") },
    };
    fs.mkdirSync(path.dirname(path.resolve(options.json)), { recursive: true });
    fs.writeFileSync(options.json, `${JSON.stringify(part, null, 2)}\n`);
    log(`figures written to ${options.json}`);
  }
  process.stdout.write(report);
  log(`report written to ${path.relative(REPO_ROOT, path.join(WORK_DIR, `report-${stamp}.md`))}`);
}

let closeAdmin: (() => Promise<void>) | undefined;
let stopServer: (() => Promise<void>) | undefined;

async function cleanup(): Promise<void> {
  const close = closeAdmin;
  closeAdmin = undefined;
  if (close) await close().catch(() => undefined);
  const stop = stopServer;
  stopServer = undefined;
  if (stop) await stop().catch((error: unknown) => log(`could not stop the embedded server: ${(error as Error).message}`));
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}

main().then(
  () => cleanup(),
  async (error: unknown) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await cleanup();
    process.exitCode = 1;
  },
);
