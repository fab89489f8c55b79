import * as os from "node:os";

/**
 * How many threads a lint runs on. A leaf (it loads nothing), so that a front end can decide, and
 * start the parse-ahead thread, before it loads the linter.
 */

/** The machine's cores, as Node counts them for this process. */
export function cores(): number {
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}

/**
 * One lane per core, at most 8, on machines with 4 cores or more; else 1. On 2 cores a second lane
 * costs more than it saves (each worker loads the parser and the rules itself and runs them cold,
 * and the schema events and results are copied between threads): 1,000 files took 2.96 s of CPU
 * on two lanes against 2.35 s on one, and no less wall time, on a shared machine (bench/lint/RESULTS.md).
 */
export function defaultJobs(): number {
  const n = cores();
  return n >= 4 ? Math.min(8, n) : 1;
}

/**
 * Whether a lint on `jobs` lanes parses in a thread ahead of its one lane (see parse-ahead.ts): with
 * one lane, on a machine of two cores or more.
 */
export function parsesAhead(jobs: number): boolean {
  return jobs <= 1 && cores() >= 2;
}
