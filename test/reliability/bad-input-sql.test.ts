import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { type CliRun, runCli } from "../helpers/cli";
import { runCliInProcess } from "../helpers/cli-in-process";
import { freshDatabase, withClient } from "../helpers/database";
import { tempFolder } from "../helpers/project";
import { type SqlCase, fuzz, fuzzSeed, sqlCase } from "./bad-input-cases";
import { cleanFailure, replayHint, selectedCases } from "./bad-input-check";

/**
 * Thousands of generated malformed migration files (truncated statements, open quotes and `$$`
 * bodies, bytes that are not UTF-8, NUL bytes, huge lines, bad directives, random bytes), each
 * beside a valid migration: `lint` judges every one, `plan` and `up` a share of them on a real
 * database, and a sample runs as real processes. Each gives a clear error naming the file (and
 * its line where the generator knows it) with exit 2, or, for a file that happens to parse, a
 * clean verdict; never a crash, a stack trace or a "bug" message, and a refused `up` touches
 * nothing. The seed is printed; `DBPIPE_FUZZ_SEED=<seed>` replays the run and
 * `DBPIPE_FUZZ_CASE=<n>` only case n.
 */

const SEED = fuzzSeed();
const LINT_CASES = 1500;
const PLAN_CASES = 250;
const UP_CASES = 60;
const PROCESS_CASES = 10;
const BAD = "migrations/0002_bad.sql";

const generator = fuzz(SEED);
const cases: SqlCase[] = Array.from({ length: LINT_CASES }, () => sqlCase(generator));

/** Writes the project: a valid first migration and the case's file. */
function writeCase(dir: string, c: SqlCase): void {
  const migrations = path.join(dir, "migrations");
  fs.rmSync(migrations, { recursive: true, force: true });
  fs.mkdirSync(migrations, { recursive: true });
  fs.writeFileSync(path.join(migrations, "0001_ok.sql"), "CREATE TABLE ok (i int);\n");
  fs.writeFileSync(path.join(dir, BAD), c.content);
}

/** What is wrong with `run` for case `c`, or undefined. */
function judge(c: SqlCase, run: CliRun, okCodes: readonly number[], command: "lint" | "plan" | "up"): string | undefined {
  const unclean = cleanFailure(run);
  if (unclean) return unclean;
  if (c.expect === "refused" || (c.expect === "refused-by-up" && command === "up")) {
    if (run.code !== 2) return `exit ${run.code}, expected 2`;
    if (!run.stderr.includes(BAD)) return `the error does not name ${BAD}`;
    if (c.line !== undefined && !run.stderr.includes(`${BAD}:${c.line}:`)) return `the error does not give line ${c.line}`;
    return undefined;
  }
  if (!okCodes.includes(run.code ?? -1)) return `exit ${run.code}, expected one of ${okCodes.join(", ")}`;
  if (run.code === 2 && !run.stderr.includes(BAD)) return `exit 2 without naming ${BAD}`;
  return undefined;
}

function report(failures: string[]): string {
  return `${failures.length} failing case(s), seed ${SEED}:\n${failures.slice(0, 15).join("\n")}\n${replayHint(SEED)}`;
}

describe(`malformed migration files (seed ${SEED})`, () => {
  // eslint-disable-next-line no-console -- the seed, to replay a failure
  console.info(`bad-input-sql: DBPIPE_FUZZ_SEED=${SEED}, ${LINT_CASES} cases`);

  it(`lint names the file of each of ${LINT_CASES} generated cases, in process`, async () => {
    const dir = tempFolder({}, "dbpipe-fuzz-sql-");
    const failures: string[] = [];
    let refused = 0;
    for (const [i, c] of selectedCases(cases)) {
      writeCase(dir, c);
      const run = await runCliInProcess(["lint"], { cwd: dir });
      if (run.code === 2) refused++;
      const wrong = judge(c, run, [0, 1, 2], "lint");
      if (wrong) failures.push(`  case ${i} (${c.kind}): lint: ${wrong}\n    ${run.stderr.slice(0, 400).replace(/\n/g, "\n    ")}`);
    }
    expect(failures, report(failures)).toEqual([]);
    // The generator is not idle: most cases are refused.
    if (!process.env.DBPIPE_FUZZ_CASE) expect(refused).toBeGreaterThan(LINT_CASES / 2);
  });

  it(`plan refuses the same files against a real database (${PLAN_CASES} cases), and up touches nothing (${UP_CASES} cases)`, async () => {
    const url = await freshDatabase("fuzz");
    const dir = tempFolder({}, "dbpipe-fuzz-sql-");
    const failures: string[] = [];
    const selected = selectedCases(cases);
    for (const [i, c] of selected.slice(0, PLAN_CASES)) {
      writeCase(dir, c);
      const run = await runCliInProcess(["plan", "--database-url", url], { cwd: dir });
      const wrong = judge(c, run, [0, 1, 2], "plan");
      if (wrong) failures.push(`  case ${i} (${c.kind}): plan: ${wrong}\n    ${run.stderr.slice(0, 400)}`);
    }
    for (const [i, c] of selected.filter(([, c]) => c.expect !== "any").slice(0, UP_CASES)) {
      writeCase(dir, c);
      const run = await runCliInProcess(["up", "--database-url", url], { cwd: dir });
      const wrong = judge(c, run, [2], "up");
      if (wrong) failures.push(`  case ${i} (${c.kind}): up: ${wrong}\n    ${run.stderr.slice(0, 400)}`);
    }
    expect(failures, report(failures)).toEqual([]);
    // Refused before the database was touched: not even the valid first migration ran, and no history table exists.
    const left = await withClient(url, async (c) => (await c.query("SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'dbpipe')")).rows);
    expect(left).toEqual([]);
  });

  it(`a sample of ${PROCESS_CASES} refused cases as real processes: the error on stderr, no stack trace`, async () => {
    const dir = tempFolder({}, "dbpipe-fuzz-sql-");
    const failures: string[] = [];
    for (const [i, c] of selectedCases(cases).filter(([, c]) => c.expect === "refused").slice(0, PROCESS_CASES)) {
      writeCase(dir, c);
      const run = await runCli(["lint"], { cwd: dir });
      const wrong = judge(c, run, [2], "lint");
      if (wrong) failures.push(`  case ${i} (${c.kind}): lint process: ${wrong}\n    ${run.stderr.slice(0, 400)}`);
    }
    expect(failures, report(failures)).toEqual([]);
  });
});
