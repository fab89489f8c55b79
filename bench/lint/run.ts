import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { generateLintBench } from "./generate";

/**
 * The lint benchmark (issue 3, "Speed"): `dbpipe lint` beside squawk on the same generated
 * migration files, in the same run, as CI would call each (a new process, output to a pipe).
 * Figures go to bench/lint/RESULTS.md by hand; nothing here is a test.
 *
 * squawk is not a dependency of the project (its npm package lists binaries for five platforms,
 * and a lock file must then name all five): this script installs `squawk-cli` at SQUAWK_VERSION
 * into bench/work/tools/ the first time it runs.
 */

const ROOT = path.resolve(__dirname, "../..");
const WORK = path.join(ROOT, "bench/work/lint");
const TOOLS = path.join(ROOT, "bench/work/tools");
const SQUAWK_VERSION = "2.66.0";
const DBPIPE = path.join(ROOT, "bin/dbpipe.js");

interface Options {
  runs: number;
  warmup: number;
  count: number;
  statements: number;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { runs: 7, warmup: 1, count: 1000, statements: 20 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = Number(argv[i + 1]);
    const whole = (min: number) => {
      if (!Number.isInteger(value) || value < min) fail(`${flag} needs a whole number of at least ${min}`);
      i++;
      return value;
    };
    if (flag === "--runs") options.runs = whole(1);
    else if (flag === "--warmup") options.warmup = whole(0);
    else if (flag === "--count") options.count = whole(1);
    else if (flag === "--statements") options.statements = whole(1);
    else if (flag === "--help" || flag === "-h") {
      process.stdout.write(
        [
          "usage: npm run bench:lint -- [options]",
          "",
          "  --runs <n>        measured runs of each contender (default 7)",
          "  --warmup <n>      runs first and discarded (default 1)",
          "  --count <n>       migration files (default 1000)",
          "  --statements <n>  statements per file, about (default 20)",
          "",
        ].join("\n"),
      );
      process.exit(0);
    } else fail(`unknown option ${flag} (see --help)`);
  }
  return options;
}

function fail(message: string): never {
  process.stderr.write(`bench:lint: ${message}\n`);
  process.exit(2);
}

function squawkBinary(): string {
  const bin = path.join(TOOLS, "node_modules/.bin/squawk");
  if (!fs.existsSync(bin)) {
    fs.mkdirSync(TOOLS, { recursive: true });
    process.stderr.write(`installing squawk-cli@${SQUAWK_VERSION} into ${path.relative(ROOT, TOOLS)}/\n`);
    const npm = spawnSync("npm", ["install", "--prefix", TOOLS, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", `squawk-cli@${SQUAWK_VERSION}`], { stdio: "inherit" });
    if (npm.status !== 0 || !fs.existsSync(bin)) fail("could not install squawk-cli");
  }
  return bin;
}

/** One timed run: wall ms, CPU ms of the child (user + system), the bytes it printed. */
interface Sample {
  wall: number;
  cpu: number;
  stdoutBytes: number;
  exitCode: number | null;
  /** Peak resident memory of the child, KiB (GNU time's %M). */
  maxRss: number;
}

/** CPU ms of this process's finished children (cutime + cstime), from /proc. */
function childrenCpu(): number {
  const fields = fs.readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
  return (Number(fields[16 - 3]) + Number(fields[17 - 3])) * 10;
}

function timeProcess(command: string, args: readonly string[], cwd: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const cpuBefore = childrenCpu();
    const started = process.hrtime.bigint();
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
    // A CA bundle some build machines set costs every Node process start-up time; no TLS here.
    delete env.NODE_EXTRA_CA_CERTS;
    // GNU time measures the child's peak memory; its own start-up is a few milliseconds.
    const rssFile = path.join(WORK, `rss-${process.pid}.txt`);
    const child = spawn("/usr/bin/time", ["-f", "%M", "-o", rssFile, command, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdoutBytes = 0;
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdoutBytes += chunk.length));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (exitCode) => {
      const wall = Number(process.hrtime.bigint() - started) / 1e6;
      if (exitCode !== 0 && exitCode !== 1) reject(new Error(`${path.basename(command)} ${args.join(" ")} exited ${exitCode}: ${stderr.slice(0, 2000)}`));
      else resolve({ wall, cpu: childrenCpu() - cpuBefore, stdoutBytes, exitCode, maxRss: Number(fs.readFileSync(rssFile, "utf8").trim().split("\n").pop()) });
    });
  });
}

interface Contender {
  id: string;
  label: string;
  /** Runs before each timed run (the warm cache contender fills its cache here). */
  prepare?: () => Promise<void>;
  command: string;
  args: string[];
}

function summarise(xs: readonly number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1] };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(path.join(ROOT, "dist/cli/main.js"))) fail("dbpipe is not built: run `npm run build` first (npm run bench:lint does)");
  const squawk = squawkBinary();
  const project = path.join(WORK, "project");
  const migrations = path.join(project, "migrations");
  const files = generateLintBench(migrations, options.count, options.statements);
  fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: dbpipe\nruntime: nodejs\n");
  const relative = files.map((f) => path.relative(project, f));
  const bytes = files.reduce((sum, f) => sum + fs.statSync(f).size, 0);
  const cacheDir = path.join(project, ".dbpipe");
  const dropCache = async () => fs.rmSync(cacheDir, { recursive: true, force: true });

  const contenders: Contender[] = [
    { id: "squawk", label: `squawk ${SQUAWK_VERSION} (text)`, command: squawk, args: relative },
    { id: "squawk-json", label: `squawk ${SQUAWK_VERSION} --reporter json`, command: squawk, args: ["--reporter", "json", ...relative] },
    { id: "parse-only", label: "parse only (libpg-query, new process)", command: process.execPath, args: [path.join(__dirname, "parse-only.js"), migrations] },
    { id: "dbpipe-1", label: "dbpipe lint --jobs 1 (cold)", prepare: dropCache, command: process.execPath, args: [DBPIPE, "lint", "--jobs", "1"] },
    // DBPIPE_BEFORE=<path to another build's bin/dbpipe.js> adds it as a contender: before and after in one run.
    ...(process.env.DBPIPE_BEFORE ? [{ id: "before-1", label: "dbpipe lint --jobs 1 (cold), before", prepare: dropCache, command: process.execPath, args: [process.env.DBPIPE_BEFORE, "lint", "--jobs", "1"] }] : []),
    { id: "dbpipe-2", label: "dbpipe lint --jobs 2 (cold)", prepare: dropCache, command: process.execPath, args: [DBPIPE, "lint", "--jobs", "2"] },
    { id: "dbpipe-json", label: "dbpipe lint --jobs 1 --format json (cold)", prepare: dropCache, command: process.execPath, args: [DBPIPE, "lint", "--jobs", "1", "--format", "json"] },
    { id: "dbpipe-cached", label: "dbpipe lint, unchanged files (warm cache)", command: process.execPath, args: [DBPIPE, "lint"] },
    { id: "dbpipe-one-changed", label: "dbpipe lint, one file changed (warm cache)", command: process.execPath, args: [DBPIPE, "lint"] },
  ];
  // The "one file changed" contender edits the newest file before each run, as a pull request would.
  const newest = files[files.length - 1];
  const original = fs.readFileSync(newest, "utf8");
  let edit = 0;
  contenders[contenders.length - 1].prepare = async () => {
    fs.writeFileSync(newest, `${original}-- edit ${++edit}\nALTER TABLE ${path.basename(newest, ".sql").slice(5)} ADD COLUMN note_${edit} text;\n`);
  };

  // Fill the cache once for the warm contenders, and count what each tool reports.
  await dropCache();
  const findings = JSON.parse(spawnSync(process.execPath, [DBPIPE, "lint", "--format", "json"], { cwd: project, encoding: "utf8", maxBuffer: 1 << 30 }).stdout) as {
    migrations: { findings: unknown[] }[];
  };
  const dbpipeFindings = findings.migrations.reduce((n, m) => n + m.findings.length, 0);
  const squawkJson = spawnSync(squawk, ["--reporter", "json", ...relative], { cwd: project, encoding: "utf8", maxBuffer: 1 << 30 }).stdout;
  const squawkFindings = (JSON.parse(squawkJson) as unknown[]).length;

  const samples = new Map<string, Sample[]>(contenders.map((c) => [c.id, []]));
  for (let round = 0; round < options.warmup + options.runs; round++) {
    // Rotate the order, so no contender always runs right after the same other one.
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]);
    for (const c of order) {
      await c.prepare?.();
      const sample = await timeProcess(c.command, c.args, project);
      if (round >= options.warmup) samples.get(c.id)?.push(sample);
    }
    process.stderr.write(`round ${round + 1}/${options.warmup + options.runs}${round < options.warmup ? " (warm-up)" : ""}\n`);
  }
  fs.writeFileSync(newest, original);

  const squawkWall = summarise(samples.get("squawk")!.map((s) => s.wall)).median;
  const parseWall = summarise(samples.get("parse-only")!.map((s) => s.wall)).median;
  const lines: string[] = [];
  const out = (line = "") => lines.push(line);
  out(`${files.length} files, ${options.statements} statements each (about), ${(bytes / 1024).toFixed(0)} KiB; ${options.runs} runs after ${options.warmup} warm-up.`);
  out(`Findings: dbpipe ${dbpipeFindings}, squawk ${squawkFindings}.`);
  out(`Machine: ${spawnSync("nproc", { encoding: "utf8" }).stdout.trim()} cores, Node ${process.version}.`);
  out();
  out("| contender | wall median | min | max | CPU median | ÷ squawk (wall) | ÷ parse only (wall) | peak RSS | output |");
  out("|---|---|---|---|---|---|---|---|---|");
  for (const c of contenders) {
    const xs = samples.get(c.id)!;
    const wall = summarise(xs.map((s) => s.wall));
    const cpu = summarise(xs.map((s) => s.cpu));
    out(
      `| ${c.label} | ${wall.median.toFixed(0)} ms | ${wall.min.toFixed(0)} | ${wall.max.toFixed(0)} | ${cpu.median.toFixed(0)} ms | ${(wall.median / squawkWall).toFixed(2)} | ${(wall.median / parseWall).toFixed(2)} | ${(summarise(xs.map((s) => s.maxRss)).median / 1024).toFixed(0)} MiB | ${(xs[0].stdoutBytes / 1024).toFixed(0)} KiB |`,
    );
  }
  const report = `${lines.join("\n")}\n`;
  fs.mkdirSync(WORK, { recursive: true });
  fs.writeFileSync(path.join(WORK, "report.md"), report);
  process.stdout.write(report);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:lint: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(3);
});
