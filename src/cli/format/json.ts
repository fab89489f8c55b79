import { type RiskReport, buildRiskReport } from "../../risk/report";
import type { Verdict } from "../../risk/verdict";
import type { LintedMigration } from "../../sql/lint";
import type { ExitCode } from "../exit-codes";
import type { LintFailure, LintProblem } from "./lint-problem";

/**
 * `--format json`: one object on stdout, whatever happens. Linted, it is the risk report (the
 * shape `dbpipe plan --json` carries). Whenever the run exits 2 or 3 it also carries what every
 * `--json` error of the CLI carries, `error` (`{ message }`, as stderr says it) and `exitCode`,
 * with `errors`: each problem at its `file` (relative, as `migrations[].file`), `line` and
 * `column` where known. A run that stopped before it could lint has no findings to give: its
 * `verdict` refuses, for the error's reason, and `migrations` is empty.
 */

/** A problem as `errors[]` shows it. */
export interface ProblemJson {
  /** What is wrong, as stderr says it. */
  message: string;
  /** The file (or folder) it is about, relative to where dbpipe ran. */
  file?: string;
  /** 1-based line and column, when known. */
  line?: number;
  column?: number;
}

/** What every `--json` error carries, with lint's problems. */
export interface LintErrorJson {
  /** The error, as stderr says it. */
  error: { message: string };
  /** The process's exit code: 2 invalid input, 3 a database or I/O failure. */
  exitCode: ExitCode;
  /** Each problem, at its place. */
  errors: ProblemJson[];
}

/** The report of a lint that ran: the risk report, and its errors when some files could not be linted. */
export type LintJson = RiskReport | (LintErrorJson & RiskReport);

/** The report of a lint that stopped before it could lint. */
export interface LintFailureJson extends LintErrorJson {
  /** The stack asked for, and its tier when its settings could be read. */
  stack: string;
  tier?: RiskReport["tier"];
  /** Refused, for the error's reason. */
  verdict: { allowed: false; reasons: string[] };
  /** Nothing was linted. */
  migrations: [];
}

/**
 * The risk report of `migrations` under `verdict`; with `failed` (files that do not parse, or that
 * dbpipe cannot run: the run exits 2), also the error, the exit code and each file's problem.
 */
export function formatJson(migrations: readonly LintedMigration[], verdict: Verdict, failed?: { message: string; exitCode: ExitCode; problems: readonly LintProblem[] }): LintJson {
  const report = buildRiskReport(migrations, verdict);
  return failed ? { error: { message: failed.message }, exitCode: failed.exitCode, ...report, errors: failed.problems.map(problemJson) } : report;
}

/** The object of a run that stopped before it could lint. */
export function formatJsonFailure(failure: LintFailure): LintFailureJson {
  return {
    error: { message: failure.message },
    exitCode: failure.exitCode,
    errors: failure.problems.map(problemJson),
    stack: failure.stack,
    ...(failure.tier ? { tier: failure.tier } : {}),
    verdict: { allowed: false, reasons: [failure.message] },
    migrations: [],
  };
}

function problemJson(p: LintProblem): ProblemJson {
  return {
    message: p.message,
    ...(p.file !== undefined ? { file: p.file } : {}),
    ...(p.line !== undefined ? { line: p.line } : {}),
    ...(p.column !== undefined ? { column: p.column } : {}),
  };
}
