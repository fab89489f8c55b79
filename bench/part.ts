import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";

/**
 * What every part of `npm run bench` shares: the JSON a part writes for bench/run.ts, its
 * command-line flags, and the measurement of one process (wall time, CPU time of its whole tree,
 * peak resident memory). Linux only for CPU and memory (/proc); elsewhere they read as 0.
 */

/** One figure of a part: a value beside the same figure for the peer, measured in the same run. */
export interface Figure {
  /** Stable id, e.g. `backup.folder.1gb.throughput`. */
  id: string;
  /** What it is, for the report. */
  label: string;
  /** The value, in `unit`. */
  value: number;
  /** `s`, `ms`, `MiB`, `MB/s`, `bytes`, `×`. */
  unit: string;
  /** What it is compared with; absent when nothing is. */
  peer?: string;
  /** The peer's value, in the same unit. */
  peerValue?: number;
  /** `value / peerValue`. */
  ratio?: number;
  /** The goal, in words (`≥ 90% of pg_dump's`). */
  goal?: string;
  /** Whether the goal is met; null when there is no goal. */
  met: boolean | null;
  /**
   * The ratio round by round, when the figure and its peer were measured in every round (back to
   * back: see {@link pairedFigure}). `ratio` is then their median, and `met` is decided on it.
   */
  rounds?: RoundRatios;
}

/** The spread of a figure's per-round ratios (each round: the figure ÷ its peer in that round). */
export interface RoundRatios {
  n: number;
  min: number;
  /** The middle half of the rounds lies from `q1` to `q3`. */
  q1: number;
  median: number;
  q3: number;
  max: number;
  /**
   * True when the middle half of the rounds lies on both sides of the goal: the goal is within
   * what this machine's noise moves the ratio by, and one more run may decide it the other way.
   */
  straddles?: boolean;
}

/** What a part writes with `--json <file>` (see bench/README.md). */
export interface PartResult {
  part: string;
  title: string;
  figures: Figure[];
  notes: string[];
  versions: Record<string, string>;
}

/** The repository root. */
export const REPO_ROOT = path.resolve(__dirname, "..");
/** `bin/dbpipe.js`. */
export const DBPIPE = path.join(REPO_ROOT, "bin", "dbpipe.js");

/** Flags every part takes: `--json <file>`, `--quick`; the rest is the part's own. */
export interface PartFlags {
  json?: string;
  quick: boolean;
  rest: Map<string, string | true>;
}

/** Reads `--json <file>`, `--quick` and `--<name> [value]` pairs. */
export function partFlags(argv: readonly string[], help: string): PartFlags {
  const flags: PartFlags = { quick: false, rest: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") {
      process.stdout.write(help);
      process.exit(0);
    } else if (a === "--json") {
      if (!argv[i + 1]) fail("--json needs a file");
      flags.json = argv[++i];
    } else if (a === "--quick") flags.quick = true;
    else if (a.startsWith("--")) {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith("--")) {
        flags.rest.set(a.slice(2), next);
        i++;
      } else flags.rest.set(a.slice(2), true);
    } else fail(`unknown argument ${a}\n\n${help}`);
  }
  return flags;
}

/** A whole-number flag. */
export function intFlag(flags: PartFlags, name: string, fallback: number, min = 1): number {
  const v = flags.rest.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail(`--${name} needs a whole number of at least ${min}`);
  return n;
}

/** Stops the part with a message, exit 2. */
export function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/** A progress line on stderr. */
export function log(part: string, message: string): void {
  process.stderr.write(`[bench ${part}] ${message}\n`);
}

/** Writes the part's result: to `--json`'s file, and a short text on stdout. */
export function writeResult(flags: PartFlags, result: PartResult): void {
  if (flags.json) fs.writeFileSync(flags.json, `${JSON.stringify(result, null, 2)}\n`);
  const lines = [`# ${result.title}`, ""];
  for (const f of result.figures) {
    const rounds = f.rounds ? `; per round ${formatRounds(f.rounds)}` : "";
    const noise = f.rounds?.straddles ? ", within noise" : "";
    lines.push(`- ${f.label}: ${formatValue(f.value, f.unit)}${f.peer ? ` vs ${f.peer} ${formatValue(f.peerValue ?? NaN, f.unit)} (${f.ratio?.toFixed(2)}×${rounds})` : ""}${f.goal ? ` — goal ${f.goal}: ${f.met === null ? "n/a" : f.met ? "met" : "not met"}${noise}` : ""}`);
  }
  for (const n of result.notes) lines.push(`- note: ${n}`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** A value with its unit, for people. */
export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return "—";
  if (unit === "ms") return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 1 : 0)} ms`;
  if (unit === "s") return `${value.toFixed(2)} s`;
  if (unit === "MiB") return `${value.toFixed(1)} MiB`;
  if (unit === "MB/s") return `${value.toFixed(1)} MB/s`;
  if (unit === "bytes") return `${value} B`;
  return `${value.toFixed(2)} ${unit}`;
}

/** A figure compared with its peer; `goal(ratio)` decides met/not met when given. */
export function compared(
  id: string,
  label: string,
  value: number,
  unit: string,
  peer: string,
  peerValue: number,
  goal?: { text: string; met: (ratio: number) => boolean },
): Figure {
  const ratio = peerValue > 0 ? value / peerValue : NaN;
  return { id, label, value, unit, peer, peerValue, ratio: Number.isFinite(ratio) ? Number(ratio.toFixed(4)) : undefined, goal: goal?.text, met: goal && Number.isFinite(ratio) ? goal.met(ratio) : null };
}

/**
 * A figure measured against its peer in every round: `rounds[i]` holds both values of round i,
 * taken minutes apart at most. The ratio is the median of the per-round ratios, not the ratio of
 * the two medians: on a machine whose speed drifts by a fifth between rounds (this one's does),
 * a ratio within a round holds where absolute times do not. Values are in `unit`; for a
 * throughput, pass throughputs (the ratio is then the figure's throughput ÷ the peer's).
 */
export function pairedFigure(
  id: string,
  label: string,
  unit: string,
  peer: string,
  rounds: readonly { value: number; peerValue: number }[],
  goal?: { text: string; met: (ratio: number) => boolean },
): Figure {
  const ratios = rounds.filter((r) => r.peerValue > 0).map((r) => r.value / r.peerValue);
  const spread = quartiles(ratios);
  const figure = compared(id, label, median(rounds.map((r) => r.value)), unit, peer, median(rounds.map((r) => r.peerValue)), goal);
  if (!spread) return figure;
  const round4 = (x: number) => Number(x.toFixed(4));
  const met = goal ? goal.met(spread.median) : null;
  const straddles = goal ? goal.met(spread.q1) !== goal.met(spread.q3) : undefined;
  return {
    ...figure,
    ratio: round4(spread.median),
    met,
    rounds: { n: spread.n, min: round4(spread.min), q1: round4(spread.q1), median: round4(spread.median), q3: round4(spread.q3), max: round4(spread.max), ...(straddles ? { straddles } : {}) },
  };
}

/** Minimum, quartiles (linear interpolation between ranks) and maximum; undefined for no numbers. */
export function quartiles(xs: readonly number[]): Omit<RoundRatios, "straddles"> | undefined {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const at = (q: number) => {
    const pos = (s.length - 1) * q;
    const lo = Math.floor(pos);
    return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
  };
  return { n: s.length, min: s[0], q1: at(0.25), median: at(0.5), q3: at(0.75), max: s[s.length - 1] };
}

/** How a figure's rounds spread, for people: `0.91–1.32× (middle half 1.02–1.15×), 9 rounds`. */
export function formatRounds(r: RoundRatios | undefined): string {
  if (!r) return "—";
  return r.n === 1 ? "1 round" : `${r.min.toFixed(2)}–${r.max.toFixed(2)}× (middle half ${r.q1.toFixed(2)}–${r.q3.toFixed(2)}×), ${r.n} rounds`;
}

/** Median of some numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** USER_HZ: /proc reports times in 1/100 s. */
const TICK_MS = 10;

/** From /proc/<pid>/stat: the parent's pid, CPU ms used (user + system), and CPU ms of reaped children. */
export function statOf(pid: number | "self"): { ppid: number; cpu: number; childCpu: number } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const at = (n: number) => Number(f[n - 3]);
  return { ppid: at(4), cpu: (at(14) + at(15)) * TICK_MS, childCpu: (at(16) + at(17)) * TICK_MS };
}

/** CPU ms of a live process (user + system), without its children; 0 when unreadable. */
export function processCpu(pid: number): number {
  return statOf(pid)?.cpu ?? 0;
}

/** CPU ms of the children of this process that have exited and been waited for. */
export function reapedChildrenCpu(): number {
  return statOf("self")?.childCpu ?? 0;
}

/** VmHWM (peak resident set) of a live process, in KiB; 0 when unreadable. */
export function peakRssKiB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** What one measured process did. */
export interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Spawn to exit, ms. */
  wallMs: number;
  /** CPU ms (user + system) of the process and every descendant it waited for. */
  cpuMs: number;
  /** The process's own peak resident memory (VmHWM, polled), KiB. */
  peakKiB: number;
  /** The largest VmHWM of any of its descendants (pg_dump, pg_restore...), KiB. */
  childPeakKiB: number;
}

/**
 * Runs a command and measures it. Run one at a time: the CPU figure is this process's reaped
 * children's total before and after, so two runs at once would count each other.
 */
export function measureProcess(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; pollMs?: number } = {}): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const cpu0 = reapedChildrenCpu();
    const started = performance.now();
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout = (stdout + d.toString()).slice(-200_000)));
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
    let peak = 0;
    let childPeak = 0;
    const descendants = new Set<number>();
    const poll = () => {
      if (child.pid === undefined) return;
      peak = Math.max(peak, peakRssKiB(child.pid));
      // Descendants: a walk of /proc for processes whose parent is in the tree.
      const tree = new Set([child.pid, ...descendants]);
      for (const entry of safeReaddir("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        const pid = Number(entry);
        if (tree.has(pid)) continue;
        const s = statOf(pid);
        if (s && tree.has(s.ppid)) descendants.add(pid);
      }
      for (const pid of descendants) childPeak = Math.max(childPeak, peakRssKiB(pid));
    };
    const timer = setInterval(poll, options.pollMs ?? 25);
    const timeout = options.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), options.timeoutMs) : undefined;
    child.on("error", (error) => {
      clearInterval(timer);
      if (timeout) clearTimeout(timeout);
      reject(error);
    });
    child.on("close", (code) => {
      clearInterval(timer);
      if (timeout) clearTimeout(timeout);
      resolve({ code, stdout, stderr, wallMs: performance.now() - started, cpuMs: reapedChildrenCpu() - cpu0, peakKiB: peak, childPeakKiB: childPeak });
    });
  });
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** Runs a command and fails the part, with its output's tail, when it exits non-zero. */
export async function mustRun(
  what: string,
  command: string,
  args: readonly string[],
  options: Parameters<typeof measureProcess>[2] & { okCodes?: readonly number[] } = {},
): Promise<ProcessRun> {
  const run = await measureProcess(command, args, options);
  if (!(options.okCodes ?? [0]).includes(run.code ?? -1)) throw new Error(`${what} exited with ${run.code}: ${(run.stderr || run.stdout).trim().split("\n").slice(-8).join("\n")}`);
  return run;
}

/** A project folder the CLI runs in: Pulumi.yaml and a dev stack whose migrations are `migrations/`. */
export function writeBenchProject(dir: string, part: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `# Generated by bench/${part}/run.ts.\nname: dbpipe-bench\nruntime: nodejs\n`);
  fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), `# Generated by bench/${part}/run.ts: the dev tier's defaults.\nconfig:\n  dbpipe:tier: dev\n  dbpipe:migrationsDir: migrations\n`);
}

/** An installed package's version, from the repository's node_modules. */
export function packageVersion(name: string): string {
  try {
    // Read from node_modules directly: some packages' `exports` do not export package.json.
    return (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

/** `url` with another database name. */
export function withDatabaseName(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** MiB of KiB, one decimal. */
export const mib = (kib: number): number => Number((kib / 1024).toFixed(1));

/** Runs the part's `main`, writes nothing on failure, exits 1 with the error. */
export function runPart(part: string, main: () => Promise<void>, cleanup: () => Promise<void>): void {
  let cleaned = false;
  const clean = async () => {
    if (cleaned) return;
    cleaned = true;
    await cleanup().catch((error: unknown) => log(part, `cleanup failed: ${(error as Error).message}`));
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      log(part, `${signal}: stopping`);
      void clean().finally(() => process.exit(130));
    });
  }
  main().then(
    () => clean(),
    async (error: unknown) => {
      log(part, `failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      await clean();
      process.exitCode = 1;
    },
  );
}
