import type { CliRun } from "../helpers/cli";

/** What every bad-input run must look like, whatever the case: the checks the three bad-input tests share. */

/** A stack frame line (`    at fn (file.js:1:2)` or `    at file.js:1:2`). */
const STACK_FRAME = /^\s+at (?:.+ \()?(?:node:|file:|\/)[^)]*:\d+:\d+\)?$/m;
/** What Node prints for an exception nobody caught. */
const UNCAUGHT = /Uncaught|UnhandledPromiseRejection|triggerUncaughtException|node:internal/;
/** The longest stderr a bad input may produce: a huge line must not be echoed whole. */
const MAX_STDERR = 20_000;

/** Why `run` is not a clean answer to bad input (a stack trace, a "bug" message, a crash's exit code), or undefined. */
export function cleanFailure(run: CliRun): string | undefined {
  const printed = run.stdout + run.stderr;
  if (STACK_FRAME.test(printed)) return "a stack trace was printed";
  if (UNCAUGHT.test(printed)) return "an uncaught exception was printed";
  if (printed.includes("looks like a bug")) return `a "bug" message: ${run.stderr.split("\n").find((l) => l.startsWith("error:"))}`;
  if (run.code === null || run.code < 0 || run.code > 3) return `exit ${run.code}`;
  if (run.stderr.length > MAX_STDERR) return `stderr is ${run.stderr.length} characters long`;
  if ((run.code === 2 || run.code === 3) && !/^error: /m.test(run.stderr)) return `exit ${run.code} without an "error:" line on stderr`;
  return undefined;
}

/** The cases to run with their numbers: all of them, or only `DBPIPE_FUZZ_CASE`'s. */
export function selectedCases<T>(cases: readonly T[], env: NodeJS.ProcessEnv = process.env): [number, T][] {
  const all = cases.map((c, i) => [i, c] as [number, T]);
  const only = env.DBPIPE_FUZZ_CASE?.trim();
  return only ? all.filter(([i]) => i === Number(only)) : all;
}

/** How to replay a failing run. */
export function replayHint(seed: number): string {
  return `replay with DBPIPE_FUZZ_SEED=${seed} (and DBPIPE_FUZZ_CASE=<case> for one case)`;
}
