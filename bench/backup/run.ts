import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { Client } from "pg";
import { findPgTool } from "../../src/backup/pg-dump";
import { startEmbedded } from "../../src/local/embedded";
import {
  DBPIPE,
  type Figure,
  type ProcessRun,
  REPO_ROOT,
  compared,
  fail,
  intFlag,
  log,
  median,
  mib,
  mustRun,
  processCpu,
  packageVersion,
  pairedFigure,
  partFlags,
  runPart,
  withDatabaseName,
  writeBenchProject,
  writeResult,
} from "../part";

/**
 * The backup part of `npm run bench`: dbpipe's backup of a generated database to the local folder
 * store and to the S3 store (a server on loopback, through the AWS SDK as in the cloud), beside plain
 * `pg_dump -Fc` to a file; and dbpipe's restore from each store beside plain `pg_restore`. Each
 * contender is a new process, run one after the other, at two sizes (about 100 MB and 1 GB of
 * database), so dbpipe's peak memory at both shows whether it grows with the database.
 */

const PART = "backup";
const HELP = `usage: node -r ts-node/register/transpile-only bench/backup/run.ts [--json <file>] [--quick] [options]

  --small-mb <n>  the small database, MB (default 100; --quick 50)
  --large-mb <n>  the large database, MB (default 1000; --quick 200)
  --runs <n>      rounds at each size, order rotated each round (default 5; --quick 1); each ratio
                  is the median of the per-round ratios: one round says little (pg_dump alone:
                  39.9-47.1 s over three rounds at 1 GB)
  --no-s3         leave out the S3 store
  --s3-server <lean|s3rver>  the S3 server on loopback (default lean: bench/backup/s3-lean-server.js,
                  which keeps the parts where they landed on CompleteMultipartUpload, as S3 does;
                  s3rver copies and hashes the whole object again there, on this machine's cores)
  --no-folder     leave out the folder store
  --no-restore    backups only (no restore figures)
  --baseline <dir>  another dbpipe checkout (its dist/ built) whose backups run as more
                  contenders in the same rotation, to compare two builds in the same minutes;
                  their medians are logged at the end, not reported as figures
  --quick         smaller databases
`;
const WORK = path.join(REPO_ROOT, "bench", "work", PART);
const BUCKET = "dbpipe-bench-backups";

let cleanups: (() => Promise<void>)[] = [];

/** The S3 servers the benchmark can run on loopback, by `--s3-server` name: their script here. */
const S3_SERVERS: Record<string, string> = { lean: "s3-lean-server.js", s3rver: "s3-server.js" };

/**
 * Starts an S3 server (`kind`, one of {@link S3_SERVERS}) in a process of its own, serving the
 * bucket from `dir`, and resolves once it listens. Its CPU is read from /proc around each S3
 * contender and reported apart from the contender's.
 */
function startS3Server(kind: string, dir: string): Promise<{ pid: number; port: number; stop: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, S3_SERVERS[kind]), dir, BUCKET], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    const stop = async () => {
      child.stdin.end();
      child.kill("SIGTERM");
      await exited;
    };
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the S3 server exited with ${code} before it listened: ${err.trim()}`)));
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n")) resolve({ pid: child.pid as number, port: (JSON.parse(line) as { port: number }).port, stop });
    });
  });
}
/** The S3 server's pid, when it runs. */
let s3pid: number | undefined;

/**
 * Fills `database` to about `mb` MB (pg_database_size): a wide table (numbers, short text, hex
 * strings, timestamps, JSON) with its primary key and one more index, and a narrow one. Rows are
 * inserted in batches until the size is reached.
 */
async function generate(admin: Client, url: string, mb: number): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`
      CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL, placed_at timestamptz NOT NULL, status text NOT NULL,
                           amount numeric(12,2) NOT NULL, reference text NOT NULL, payload jsonb NOT NULL);
      CREATE TABLE order_events (order_id bigint NOT NULL, at timestamptz NOT NULL, kind smallint NOT NULL);
      CREATE INDEX orders_customer ON orders (customer_id)`);
    const target = mb * 1_000_000;
    // About 350 bytes a row with both tables and their indexes: ten or so batches to the target.
    const batch = Math.max(10_000, Math.round(target / 350 / 10));
    let next = 1;
    for (;;) {
      await c.query(
        `INSERT INTO orders
           SELECT i, (i * 7919) % 100000, timestamptz '2026-01-01' + i * interval '7 seconds', (ARRAY['new','paid','shipped','returned'])[1 + i % 4],
                  (i % 100000) / 100.0, md5(i::text) || md5((i * 3)::text),
                  jsonb_build_object('sku', substr(md5((i * 11)::text), 1, 12), 'qty', i % 17, 'gift', i % 5 = 0)
             FROM generate_series($1::bigint, $2::bigint) i`,
        [next, next + batch - 1],
      );
      await c.query("INSERT INTO order_events SELECT i, timestamptz '2026-01-01' + i * interval '9 seconds', (i % 6)::smallint FROM generate_series($1::bigint, $2::bigint) i", [
        next,
        next + batch - 1,
      ]);
      next += batch;
      const size = Number((await c.query<{ n: string }>("SELECT pg_database_size(current_database()) AS n")).rows[0].n);
      if (size >= target) break;
    }
    await c.query("VACUUM ANALYZE");
    return Number((await c.query<{ n: string }>("SELECT pg_database_size(current_database()) AS n")).rows[0].n);
  } finally {
    await c.end();
    void admin;
  }
}

/** The contenders' measurements at one size. */
interface SizeRuns {
  mb: number;
  dbBytes: number;
  dumpBytes: number;
  runs: Record<string, ProcessRun[]>;
  /** The S3 server's CPU ms during each S3 contender's runs. */
  serverCpuMs: Record<string, number[]>;
}

async function main(): Promise<void> {
  const flags = partFlags(process.argv.slice(2), HELP);
  const smallMb = intFlag(flags, "small-mb", flags.quick ? 50 : 100);
  const largeMb = intFlag(flags, "large-mb", flags.quick ? 200 : 1000);
  const rounds = intFlag(flags, "runs", flags.quick ? 1 : 5);
  const s3 = !flags.rest.has("no-s3");
  const s3ServerFlag = flags.rest.get("s3-server") ?? "lean";
  if (typeof s3ServerFlag !== "string" || !(s3ServerFlag in S3_SERVERS)) fail(`--s3-server: one of ${Object.keys(S3_SERVERS).join(", ")}`);
  const s3Server = s3ServerFlag as string;
  const folder = !flags.rest.has("no-folder");
  const restore = !flags.rest.has("no-restore");
  const baselineFlag = flags.rest.get("baseline");
  if (baselineFlag === true) fail("--baseline needs a dbpipe checkout's folder");
  const baseline = baselineFlag === undefined ? undefined : path.join(path.resolve(baselineFlag), "bin", "dbpipe.js");
  if (!s3 && !folder) fail("--no-s3 and --no-folder leave no store to back up to");
  if (baseline && !fs.existsSync(path.join(path.dirname(baseline), "..", "dist", "cli", "main.js"))) fail(`--baseline ${baselineFlag}: no dist/cli/main.js there (run npm run build in it)`);
  /** The builds whose backups are measured: this one and, with --baseline, another checkout's. */
  const builds: [string, string][] = [["dbpipe", DBPIPE], ...(baseline ? [["baseline", baseline] as [string, string]] : [])];
  if (!fs.existsSync(path.join(REPO_ROOT, "dist", "cli", "main.js"))) throw new Error("dist/ is not built: run `npm run build` first (npm run bench does)");
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  const project = path.join(WORK, "project");
  writeBenchProject(project, PART);
  fs.mkdirSync(path.join(project, "migrations"), { recursive: true });

  log(PART, "starting the embedded PostgreSQL...");
  const server = await startEmbedded({ dataDir: path.join(WORK, "pg") });
  cleanups.push(async () => {
    await server.stop();
    fs.rmSync(path.join(WORK, "pg"), { recursive: true, force: true });
  });
  const admin = new Client({ connectionString: server.url });
  await admin.connect();
  cleanups.push(() => admin.end());
  const serverVersion = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v;
  const major = Number(serverVersion.split(".")[0]);
  const pgDump = findPgTool("pg_dump", major);
  const pgRestore = findPgTool("pg_restore", major);

  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", PGPASSWORD: decodeURIComponent(new URL(server.url).password) };
  if (s3) {
    const s3dir = path.join(WORK, "s3");
    fs.mkdirSync(s3dir, { recursive: true });
    const s3server = await startS3Server(s3Server, s3dir);
    s3pid = s3server.pid;
    cleanups.push(s3server.stop);
    Object.assign(env, { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "eu-west-1", AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${s3server.port}` });
  }
  const stores: Record<string, string> = {};
  if (folder) stores.folder = pathToFileURL(path.join(WORK, "store")).toString();
  if (s3) stores.s3 = `s3://${BUCKET}/bench`;
  /** Without the password: it reaches the tools through PGPASSWORD, as dbpipe passes it. */
  const bare = (url: string) => {
    const u = new URL(url);
    u.password = "";
    return u.toString();
  };

  const sizes: SizeRuns[] = [];
  for (const mb of [smallMb, largeMb]) {
    const database = `bench_backup_${mb}`;
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${database}`);
    const url = withDatabaseName(server.url, database);
    log(PART, `generating about ${mb} MB...`);
    const dbBytes = await generate(admin, url, mb);
    log(PART, `${database}: ${(dbBytes / 1e6).toFixed(0)} MB`);
    const runs: Record<string, ProcessRun[]> = {};
    const serverCpuMs: Record<string, number[]> = {};
    const keep = (id: string, run: ProcessRun) => (runs[id] ??= []).push(run);
    /** Runs one contender; for an S3 one, also notes the S3 server's CPU meanwhile. */
    const measured = async (id: string, run: () => Promise<ProcessRun>): Promise<ProcessRun> => {
      const server = s3pid !== undefined && id.endsWith("s3") ? s3pid : undefined;
      const cpu0 = server === undefined ? 0 : processCpu(server);
      const result = await run();
      keep(id, result);
      if (server !== undefined) (serverCpuMs[id] ??= []).push(processCpu(server) - cpu0);
      const serverNote = server === undefined ? "" : `; the S3 server ${((processCpu(server) - cpu0) / 1000).toFixed(1)} s cpu`;
      log(PART, `${mb} MB, ${id}: ${(result.wallMs / 1000).toFixed(1)} s wall, ${(result.cpuMs / 1000).toFixed(1)} s cpu, peak ${mib(result.peakKiB)} MiB${serverNote}`);
      return result;
    };
    let dumpBytes = 0;
    for (let r = 0; r < rounds; r++) {
      const dumpFile = path.join(WORK, "plain.dump");
      const dumps: [string, () => Promise<ProcessRun>][] = [
        [
          "pg_dump",
          async () => {
            fs.rmSync(dumpFile, { force: true });
            const run = await mustRun("pg_dump", pgDump.path, ["--format=custom", "--no-password", `--file=${dumpFile}`, `--dbname=${bare(url)}`], { env });
            dumpBytes = fs.statSync(dumpFile).size;
            return run;
          },
        ],
        ...builds.flatMap(([build, bin]) =>
          Object.entries(stores).map(([name, store]): [string, () => Promise<ProcessRun>] => [
            `${build} backup → ${name}`,
            () => mustRun(`${build} backup --store ${store}`, process.execPath, [bin, "backup", "--json", "--database-url", url, "--store", store], { cwd: project, env }),
          ]),
        ),
      ];
      const ids: Record<string, string> = {};
      for (let i = 0; i < dumps.length; i++) {
        const [id, run] = dumps[(i + r) % dumps.length];
        const result = await measured(id, run);
        if (id.startsWith("dbpipe")) ids[id.slice("dbpipe backup → ".length)] = (JSON.parse(result.stdout) as { id: string }).id;
      }
      const restores: [string, (target: string) => Promise<ProcessRun>][] = [
        [
          "pg_restore",
          (target) =>
            mustRun("pg_restore", pgRestore.path, ["--no-password", "--no-owner", "--single-transaction", "--exit-on-error", `--dbname=${bare(withDatabaseName(server.url, target))}`, dumpFile], {
              env,
            }),
        ],
        ...Object.entries(stores).map(([name, store]): [string, (target: string) => Promise<ProcessRun>] => [
          `dbpipe restore ← ${name}`,
          (target) =>
            mustRun(`dbpipe restore --store ${store}`, process.execPath, [DBPIPE, "restore", ids[name], "--json", "--to", withDatabaseName(server.url, target), "--store", store], {
              cwd: project,
              env,
            }),
        ]),
      ];
      for (let i = 0; restore && i < restores.length; i++) {
        const [id, run] = restores[(i + r) % restores.length];
        const target = `bench_restore_${mb}`;
        await admin.query(`DROP DATABASE IF EXISTS ${target} WITH (FORCE)`);
        await admin.query(`CREATE DATABASE ${target}`);
        await measured(id, () => run(target));
        await admin.query(`DROP DATABASE ${target} WITH (FORCE)`);
      }
      // The stores' copies are not needed again: free the disk.
      fs.rmSync(path.join(WORK, "store"), { recursive: true, force: true });
      fs.rmSync(dumpFile, { force: true });
    }
    await admin.query(`DROP DATABASE ${database} WITH (FORCE)`);
    sizes.push({ mb, dbBytes, dumpBytes, runs, serverCpuMs });
  }

  /** The S3 server's median CPU during each S3 contender at one size, as text. */
  const serverCpuText = (s: SizeRuns) =>
    `${Object.entries(s.serverCpuMs)
      .map(([id, ms]) => `${id.replace(/^dbpipe /, "")} at ${(s.dbBytes / 1e6).toFixed(0)} MB: ${(median(ms) / 1000).toFixed(1)} s`)
      .join("; ")}`;
  const med = (s: SizeRuns, id: string, key: "wallMs" | "cpuMs" | "peakKiB" | "childPeakKiB") => median((s.runs[id] ?? []).map((x) => x[key]));
  for (const s of sizes) {
    for (const [id, runs] of Object.entries(s.runs)) {
      const wall = med(s, id, "wallMs");
      const ratio = id.includes("backup") ? `, ${(med(s, "pg_dump", "wallMs") / wall).toFixed(2)}× pg_dump's throughput` : "";
      const server = s.serverCpuMs[id] ? `; the S3 server ${(median(s.serverCpuMs[id]) / 1000).toFixed(1)} s cpu` : "";
      log(PART, `${s.mb} MB, ${id}, median of ${runs.length}: ${(wall / 1000).toFixed(1)} s wall, ${(med(s, id, "cpuMs") / 1000).toFixed(1)} s cpu, peak ${mib(med(s, id, "peakKiB"))} MiB${ratio}${server}`);
    }
  }

  const figures: Figure[] = [];
  const throughput = (bytes: number, ms: number) => Number((bytes / 1e6 / (ms / 1000)).toFixed(1));
  /** `id`'s throughput beside `peerId`'s, round by round (both ran in every round). */
  const perRound = (s: SizeRuns, id: string, peerId: string, key: "wallMs" | "cpuMs") =>
    (s.runs[id] ?? []).map((x, i) => ({ value: throughput(s.dbBytes, x[key]), peerValue: throughput(s.dbBytes, s.runs[peerId][i][key]) }));
  const atLeast90 = { text: "≥ 0.90× pg_dump's", met: (ratio: number) => ratio >= 0.9 };
  const atLeast90r = { text: "≥ 0.90× pg_restore's", met: (ratio: number) => ratio >= 0.9 };
  for (const s of sizes) {
    const size = `${(s.dbBytes / 1e6).toFixed(0)} MB database`;
    // The throughput goal is the ~1 GB database's; the small one is run for the memory comparison
    // (at ~100 MB a node start and the SDK's load are a large part of the time), so no goal there.
    const goal = s === sizes[sizes.length - 1];
    for (const name of Object.keys(stores)) {
      const b = `dbpipe backup → ${name}`;
      figures.push(
        pairedFigure(`backup.${name}.${s.mb}mb.throughput`, `backup to the ${name} store, ${size} — throughput (wall)`, "MB/s", "`pg_dump -Fc` to a file", perRound(s, b, "pg_dump", "wallMs"), goal ? atLeast90 : undefined),
        pairedFigure(`backup.${name}.${s.mb}mb.throughput-cpu`, `backup to the ${name} store, ${size} — throughput per CPU second (node + pg_dump)`, "MB/s", "`pg_dump -Fc` to a file", perRound(s, b, "pg_dump", "cpuMs")),
      );
      const rs = `dbpipe restore ← ${name}`;
      if (restore) {
        figures.push(
          pairedFigure(`restore.${name}.${s.mb}mb.throughput`, `restore from the ${name} store, ${size} — throughput (wall)`, "MB/s", "`pg_restore --single-transaction` from the file", perRound(s, rs, "pg_restore", "wallMs"), goal ? atLeast90r : undefined),
          pairedFigure(`restore.${name}.${s.mb}mb.throughput-cpu`, `restore from the ${name} store, ${size} — throughput per CPU second (node + pg_restore)`, "MB/s", "`pg_restore --single-transaction` from the file", perRound(s, rs, "pg_restore", "cpuMs")),
        );
      }
    }
  }
  const [small, large] = sizes;
  const flat = { text: "≤ 1.20× (flat as the database grows)", met: (ratio: number) => ratio <= 1.2 };
  for (const name of Object.keys(stores)) {
    for (const id of [`dbpipe backup → ${name}`, ...(restore ? [`dbpipe restore ← ${name}`] : [])]) {
      const what = id.startsWith("dbpipe backup") ? `backup to the ${name} store` : `restore from the ${name} store`;
      figures.push(
        compared(`${id.startsWith("dbpipe backup") ? "backup" : "restore"}.${name}.peak-rss`, `${what}: dbpipe's peak RSS at ${(large.dbBytes / 1e6).toFixed(0)} MB`, mib(med(large, id, "peakKiB")), "MiB", `the same at ${(small.dbBytes / 1e6).toFixed(0)} MB`, mib(med(small, id, "peakKiB")), flat),
      );
    }
  }
  figures.push(compared("backup.pg_dump.peak-rss", `pg_dump's own peak RSS at ${(large.dbBytes / 1e6).toFixed(0)} MB (for scale)`, mib(med(large, "pg_dump", "peakKiB")), "MiB", `the same at ${(small.dbBytes / 1e6).toFixed(0)} MB`, mib(med(small, "pg_dump", "peakKiB"))));

  writeResult(flags, {
    part: PART,
    title: `Backup and restore of generated databases of ${sizes.map((s) => `${(s.dbBytes / 1e6).toFixed(0)} MB`).join(" and ")}`,
    figures,
    notes: [
      `Throughput is the database's size (pg_database_size) over the time the command took, spawn to exit; ${rounds} round(s) at each size${rounds > 1 ? " (order rotated; each ratio is the median of the per-round ratios, each value the median of its rounds)" : ""}. pg_dump's custom format at its default compression wrote ${sizes.map((s) => `${(s.dumpBytes / 1e6).toFixed(0)} MB`).join(" and ")}.`,
      "CPU is user + system of the whole process tree (dbpipe's node and the pg_dump or pg_restore it runs); the server's side (COPY) is the same for every contender and not counted.",
      restore
        ? "dbpipe's restore checks the dump's sha256 against its manifest as the dump streams into pg_restore (from the folder store and from S3 alike: one read of the dump), its last MiB held back until the sha256 matches (so pg_restore cannot commit before), pg_restore in one transaction. The peer is pg_restore with the same --single-transaction --exit-on-error --no-owner on the file."
        : "The restores were left out (--no-restore).",
      s3
        ? `The S3 store is ${s3Server === "lean" ? "bench/backup/s3-lean-server.js" : "s3rver"} on loopback in a process of its own, reached through the AWS SDK's S3 client with dbpipe's multipart upload (8 MiB parts, two in flight) as in the cloud. Its CPU is not counted for dbpipe, but it shares the machine's ${os.cpus().length} cores. ${
            s3Server === "lean"
              ? "It streams each part to a file as it arrives and, on CompleteMultipartUpload, records the parts' order as S3 does (GetObject streams them in order); its ETags are tokens, not MD5s, since S3 hashes on its own machines. (s3rver, --s3-server s3rver, also hashes every part, then copies and hashes the whole object again on CompleteMultipartUpload, which dbpipe waits for: 3.6–4.8 s of these 2 cores at 1 GB.)"
              : "s3rver writes every part and hashes it, then copies the parts into the object and hashes that on CompleteMultipartUpload, which dbpipe waits for."
          } Its CPU (median) during ${serverCpuText(sizes[sizes.length - 1])}.`
        : "The S3 store was left out (--no-s3).",
      "Peak RSS is VmHWM of dbpipe's own node process, polled every 25 ms; pg_dump and pg_restore are separate processes. dbpipe reads pg_dump's output through a FIFO into two reused buffers and uploads from part buffers allocated once, so its peak is set by configuration, not by the dump's size.",
    ],
    versions: { "PostgreSQL server": serverVersion, "pg_dump (used)": `${pgDump.version} (${pgDump.path})`, "pg_restore (used)": `${pgRestore.version} (${pgRestore.path})`, ...(s3 && s3Server === "s3rver" ? { s3rver: packageVersion("s3rver") } : {}), "@aws-sdk/client-s3": packageVersion("@aws-sdk/client-s3") },
  });
}

runPart(PART, main, async () => {
  const all = cleanups.reverse();
  cleanups = [];
  for (const c of all) await c().catch((error: unknown) => log(PART, `cleanup: ${(error as Error).message}`));
});
