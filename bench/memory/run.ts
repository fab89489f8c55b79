import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { startEmbedded } from "../../src/local/embedded";
import { generateMigrations, writeMigrationFolders } from "../migrate/generate";
import {
  DBPIPE,
  type Figure,
  REPO_ROOT,
  compared,
  intFlag,
  log,
  mib,
  mustRun,
  packageVersion,
  partFlags,
  runPart,
  withDatabaseName,
  writeBenchProject,
  writeResult,
} from "../part";

/**
 * The memory part of `npm run bench`: peak resident memory (VmHWM, polled from /proc) of
 * `dbpipe lint`, `dbpipe plan` and `dbpipe up` on 1,000 generated migrations, each a new process
 * as CI runs it, beside a bare `node -e 0` (what any Node CLI costs) and, for `up`, postgrator
 * applying the same files in a process of its own. The same three commands on 100 files show
 * whether memory grows with the history.
 */

const PART = "memory";
const HELP = `usage: node -r ts-node/register/transpile-only bench/memory/run.ts [--json <file>] [--quick] [--count <n>] [--runs <n>]

  --count <n>   migrations to generate (default 1000)
  --runs <n>    runs of each command; the highest peak is kept (default 3, --quick 1)
  --quick       one run of each
`;
const WORK = path.join(REPO_ROOT, "bench", "work", PART);

let stop: (() => Promise<void>) | undefined;

async function main(): Promise<void> {
  const flags = partFlags(process.argv.slice(2), HELP);
  const count = intFlag(flags, "count", 1000, 10);
  const runs = intFlag(flags, "runs", flags.quick ? 1 : 3);
  const small = Math.max(10, Math.round(count / 10));
  if (!fs.existsSync(path.join(REPO_ROOT, "dist", "cli", "main.js"))) throw new Error("dist/ is not built: run `npm run build` first (npm run bench does)");
  fs.mkdirSync(WORK, { recursive: true });

  log(PART, "starting the embedded PostgreSQL...");
  const server = await startEmbedded({ dataDir: path.join(WORK, "pg") });
  stop = async () => {
    await server.stop();
    fs.rmSync(path.join(WORK, "pg"), { recursive: true, force: true });
  };
  const admin = new Client({ connectionString: server.url });
  await admin.connect();
  const serverVersion = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v;

  /** Peak KiB of each command, for a history of `n` files. */
  const measure = async (n: number) => {
    const root = path.join(WORK, `n${n}`);
    const folders = writeMigrationFolders(root, generateMigrations(n));
    const project = path.dirname(folders.dbpipe);
    writeBenchProject(project, PART);
    const database = `bench_memory_${n}`;
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${database}`);
    const url = withDatabaseName(server.url, database);
    const env = { ...process.env, NO_COLOR: "1" };
    const peaks: Record<string, number> = {};
    const keep = (name: string, kib: number) => (peaks[name] = Math.max(peaks[name] ?? 0, kib));
    for (let r = 0; r < runs; r++) {
      keep("node", (await mustRun("node -e 0", process.execPath, ["-e", "0"])).peakKiB);
      // Lint afresh each time: the cache would make later runs cheaper than a CI run. Exit 1 is
      // findings that block (the generated history may have some): the run still counts.
      keep("lint", (await mustRun("dbpipe lint", process.execPath, [DBPIPE, "lint", "--no-cache"], { cwd: project, env, okCodes: [0, 1] })).peakKiB);
      keep("plan", (await mustRun("dbpipe plan", process.execPath, [DBPIPE, "plan", "--database-url", url], { cwd: project, env })).peakKiB);
      // `up` applies everything the first time; later runs are no-ops, so each run gets a fresh database.
      if (r > 0) {
        await admin.query(`DROP DATABASE ${database} WITH (FORCE)`);
        await admin.query(`CREATE DATABASE ${database}`);
      }
      keep("up", (await mustRun("dbpipe up", process.execPath, [DBPIPE, "up", "--database-url", url], { cwd: project, env })).peakKiB);
      const pgDatabase = `bench_memory_pg_${n}`;
      await admin.query(`DROP DATABASE IF EXISTS ${pgDatabase} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${pgDatabase}`);
      keep(
        "postgrator",
        (await mustRun("postgrator", process.execPath, [path.join(REPO_ROOT, "bench", "migrate", "postgrator-process.js"), folders.postgrator, withDatabaseName(server.url, pgDatabase), pgDatabase], { cwd: REPO_ROOT }))
          .peakKiB,
      );
      await admin.query(`DROP DATABASE ${pgDatabase} WITH (FORCE)`);
    }
    await admin.query(`DROP DATABASE ${database} WITH (FORCE)`);
    log(PART, `${n} files: ${Object.entries(peaks).map(([k, v]) => `${k} ${mib(v)} MiB`).join(", ")}`);
    return peaks;
  };

  const atSmall = await measure(small);
  const atCount = await measure(count);
  await admin.end();

  const figures: Figure[] = [];
  const n = count.toLocaleString("en");
  for (const cmd of ["lint", "plan", "up"]) {
    figures.push(compared(`memory.${cmd}.peak`, `\`dbpipe ${cmd}\` peak RSS, ${n} files`, mib(atCount[cmd]), "MiB", "bare `node -e 0`", mib(atCount.node)));
  }
  figures.push(
    compared(`memory.up.vs-postgrator`, `\`dbpipe up\` peak RSS, ${n} files`, mib(atCount.up), "MiB", "postgrator in its own process, same files", mib(atCount.postgrator)),
  );
  for (const cmd of ["lint", "plan", "up"]) {
    figures.push(
      compared(`memory.${cmd}.growth`, `\`dbpipe ${cmd}\` peak RSS, ${n} files`, mib(atCount[cmd]), "MiB", `the same on ${small} files`, mib(atSmall[cmd]), {
        text: "grows less than 1.5× for 10× the files",
        met: (ratio) => ratio < 1.5,
      }),
    );
  }
  writeResult(flags, {
    part: PART,
    title: `Peak memory of lint, plan and up on ${n} migrations`,
    figures,
    notes: [
      `VmHWM of the command's own process, polled every 25 ms from /proc; the highest of ${runs} run(s). Migrations: bench/migrate's generator (tables, indexes, seed rows, functions, views).`,
      "`up` applies every migration to an empty database; `plan` runs against the same empty database (everything pending); `lint` runs with --no-cache.",
    ],
    versions: { "PostgreSQL server": serverVersion, postgrator: packageVersion("postgrator"), "libpg-query": packageVersion("libpg-query"), pg: packageVersion("pg") },
  });
}

runPart(PART, main, async () => {
  await stop?.();
});
