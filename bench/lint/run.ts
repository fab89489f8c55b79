import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type Figure, compared, packageVersion, pairedFigure } from "../part";
import { generateLintBench } from "./generate";

/**
 * The lint benchmark: `dbpipe lint` beside squawk on the same generated
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
  /** Where to write the figures as JSON (the bench report's part format). */
  json?: string;
  quick: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { runs: 15, warmup: 1, count: 1000, statements: 20, quick: false };
  let runsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = Number(argv[i + 1]);
    const whole = (min: number) => {
      if (!Number.isInteger(value) || value < min) fail(`${flag} needs a whole number of at least ${min}`);
      i++;
      return value;
    };
    if (flag === "--runs") {
      options.runs = whole(1);
      runsGiven = true;
    } else if (flag === "--quick") options.quick = true;
    else if (flag === "--json") {
      if (!argv[i + 1] || argv[i + 1].startsWith("--")) fail("--json needs a file");
      options.json = argv[++i];
    }
    else if (flag === "--warmup") options.warmup = whole(0);
    else if (flag === "--count") options.count = whole(1);
    else if (flag === "--statements") options.statements = whole(1);
    else if (flag === "--help" || flag === "-h") {
      process.stdout.write(
        [
          "usage: npm run bench:lint -- [options]",
          "",
          "  --runs <n>        measured rounds, each contender once per round (default 15)",
          "  --warmup <n>      runs first and discarded (default 1)",
          "  --count <n>       migration files (default 1000)",
          "  --statements <n>  statements per file, about (default 20)",
          "  --quick           the report runner's mode: 5 runs (unless --runs), about 1 minute on 2 cores",
          "  --json <file>     also write the figures as JSON (the bench report's part format)",
          "",
        ].join("\n"),
      );
      process.exit(0);
    } else fail(`unknown option ${flag} (see --help)`);
  }
  if (options.quick && !runsGiven) options.runs = 5;
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

  const loadBefore = os.loadavg();
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

  const loadAfter = os.loadavg();
  const med = (id: string, key: "wall" | "cpu" | "maxRss") => summarise(samples.get(id)!.map((s) => s[key])).median;
  const squawkWall = med("squawk", "wall");
  const parseWall = med("parse-only", "wall");
  const parseCpu = med("parse-only", "cpu");
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, Node ${process.version}; load average ${load(loadBefore)} before, ${load(loadAfter)} after`;
  const lines: string[] = [];
  const out = (line = "") => lines.push(line);
  out(`${files.length} files, ${options.statements} statements each (about), ${(bytes / 1024).toFixed(0)} KiB; ${options.runs} runs after ${options.warmup} warm-up${options.quick ? " (--quick)" : ""}.`);
  out(`Findings: dbpipe ${dbpipeFindings}, squawk ${squawkFindings}.`);
  out(`Machine: ${machine}.`);
  out("Wall: spawn to exit. CPU: the child's user + system time (its threads included), from /proc.");
  out();
  out("| contender | wall median | min | max | CPU median | ÷ squawk (wall) | ÷ parse only (wall) | ÷ parse only (CPU) | peak RSS | output |");
  out("|---|---|---|---|---|---|---|---|---|---|");
  for (const c of contenders) {
    const xs = samples.get(c.id)!;
    const wall = summarise(xs.map((s) => s.wall));
    const cpu = summarise(xs.map((s) => s.cpu));
    out(
      `| ${c.label} | ${wall.median.toFixed(0)} ms | ${wall.min.toFixed(0)} | ${wall.max.toFixed(0)} | ${cpu.median.toFixed(0)} ms | ${(wall.median / squawkWall).toFixed(2)} | ${(wall.median / parseWall).toFixed(2)} | ${(cpu.median / parseCpu).toFixed(2)} | ${(summarise(xs.map((s) => s.maxRss)).median / 1024).toFixed(0)} MiB | ${(xs[0].stdoutBytes / 1024).toFixed(0)} KiB |`,
    );
  }
  if (options.json) {
    const figures: Figure[] = [];
    /** A figure from two contenders' runs in the same rounds: the median of the per-round ratios. */
    const figure = (id: string, label: string, of: string, peer: string, peerOf: string, key: "wall" | "cpu", goal?: { text: string; met: (ratio: number) => boolean }) => {
      const xs = samples.get(of)!;
      const ys = samples.get(peerOf)!;
      const rounds = xs.map((x, i) => ({ value: x[key] / 1000, peerValue: ys[i][key] / 1000 }));
      figures.push(pairedFigure(id, label, "s", peer, rounds, goal));
    };
    const parseOnly = "parse only (libpg-query, new process)";
    const squawkText = `squawk ${SQUAWK_VERSION} (text)`;
    const within130 = { text: "≤ 1.30×", met: (ratio: number) => ratio <= 1.3 };
    figure("lint.cold_vs_parse_only_cpu", "cold dbpipe lint ÷ parse only (CPU)", "dbpipe-1", parseOnly, "parse-only", "cpu", within130);
    figure("lint.cold_vs_parse_only_wall", "cold dbpipe lint ÷ parse only (wall)", "dbpipe-1", parseOnly, "parse-only", "wall", within130);
    // "Faster than squawk": below 1.00×.
    figure("lint.cold_vs_squawk", "cold dbpipe lint ÷ squawk's default run (wall)", "dbpipe-1", squawkText, "squawk", "wall", { text: "< 1.00×", met: (ratio) => ratio < 1 });
    figure("lint.cold_vs_squawk_cpu", "cold dbpipe lint ÷ squawk's default run (CPU)", "dbpipe-1", squawkText, "squawk", "cpu");
    figure("lint.json_vs_squawk_json", "cold dbpipe lint --format json ÷ squawk --reporter json (wall)", "dbpipe-json", `squawk ${SQUAWK_VERSION} --reporter json`, "squawk-json", "wall");
    figure("lint.one_changed_vs_squawk", "dbpipe lint, one file changed, warm cache ÷ squawk's default run (wall)", "dbpipe-one-changed", squawkText, "squawk", "wall");
    const rss = med("dbpipe-1", "maxRss") / 1024;
    figures.push(compared("lint.cold_peak_rss", "cold dbpipe lint, peak memory", rss, "MiB", parseOnly, med("parse-only", "maxRss") / 1024, { text: "< 200 MiB", met: () => rss < 200 }));
    const version = packageVersion;
    const part = {
      part: "lint",
      title: `Linting ${files.length} migration files: dbpipe against parse only and squawk`,
      figures,
      notes: [
        `Machine: ${machine}.`,
        `${files.length} generated files of about ${options.statements} statements (${(bytes / 1024).toFixed(0)} KiB); ${options.runs} rounds after ${options.warmup} warm-up, each contender once per round (order rotated), each a new process, output to a pipe. A ratio is the median of the per-round ratios; the values beside it are each one's median.`,
        `Findings: dbpipe ${dbpipeFindings}, squawk ${squawkFindings} (different rule sets).`,
        "Cold: `dbpipe lint --jobs 1` without the lint cache: one lint thread, and (on 2 cores or more) a second that runs the parser over the files ahead of it. CPU is user + system time of the process, its threads included. Parse only is libpg-query's own `parseSync` over every file in one thread.",
      ],
      versions: { dbpipe: (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version, squawk: SQUAWK_VERSION, "libpg-query": version("libpg-query"), node: process.version },
    };
    fs.mkdirSync(path.dirname(path.resolve(options.json)), { recursive: true });
    fs.writeFileSync(options.json, `${JSON.stringify(part, null, 2)}\n`);
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
