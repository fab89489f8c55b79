import * as path from "node:path";
import { SettingsError, settingsProblemText } from "../../errors";
import { MigrationFilesError, display, formatProblem } from "../../migrate/files";
import type { Tier } from "../../settings/tiers";
import { AllowDirectiveError } from "../../sql/allow";
import type { ParseErrorRecord } from "../../sql/lint";
import { SqlSyntaxError } from "../../sql/parse";
import type { ExitCode } from "../exit-codes";

/**
 * What stopped `dbpipe lint` from linting a file, or from linting at all, as the machine-readable
 * formats report it: each problem at its file, line and column where it has them, so that a tool
 * (code scanning, a CI step reading the JSON) can point at it.
 */

/** One problem, at its place when it has one. */
export interface LintProblem {
  /** What is wrong, as stderr says it: `file:line:column: ...` when it has a place. */
  message: string;
  /** What it is about: a migration (its file or folder), the stack's settings file, or the run itself (a flag, the database). */
  about: "migration" | "stack-settings" | "run";
  /** The file (or folder) it is about, relative to where dbpipe ran as `migrations[].file` is (absolute outside it); none for the run. */
  file?: string;
  /** 1-based line, when known. */
  line?: number;
  /** 1-based column, when known. */
  column?: number;
}

/**
 * A run of `dbpipe lint` that stopped before it could lint: a stack file in error, migration files
 * it refuses, a malformed `-- dbpipe:allow`, a flag commander refused, a database it cannot reach.
 */
export interface LintFailure {
  /** The stack asked for (`--stack`). */
  stack: string;
  /** Its tier, when its settings could be read. */
  tier?: Tier;
  /** The error's message, as stderr shows it. */
  message: string;
  /** The exit code: 2 invalid input, 3 a database or I/O failure. */
  exitCode: ExitCode;
  /** Each problem the error names (the error itself when it names none in particular). */
  problems: LintProblem[];
}

/** Where a run's problems can be: the stack's settings file (absolute), to tell its problems apart. */
export interface ProblemContext {
  /** The stack's settings file, absolute: `Pulumi.<stack>.yaml` in the project. */
  stackFile: string;
}

/** The problems an error names, each at its place; the error as one problem of the run when it names none. */
export function lintProblemsOf(error: unknown, context: ProblemContext): LintProblem[] {
  if (error instanceof SqlSyntaxError) {
    return [{ message: `${error.file}:${error.line}:${error.column}: ${error.parserMessage}`, about: "migration", file: error.file, line: error.line, column: error.column }];
  }
  if (error instanceof AllowDirectiveError) {
    return [{ message: error.message, about: "migration", file: error.file, line: error.line, column: error.column }];
  }
  if (error instanceof MigrationFilesError) {
    return error.problems.map((p) => ({
      message: formatProblem(p),
      about: "migration" as const,
      file: p.file,
      ...(p.line ? { line: p.line } : {}),
      ...(p.line && p.column ? { column: p.column } : {}),
    }));
  }
  // The settings' problems name their file by its name in the project (Pulumi.<stack>.yaml); the
  // tier's defaults, used when a tier's stack has no file, name none.
  if (error instanceof SettingsError && error.source === path.basename(context.stackFile)) {
    const file = display(context.stackFile, process.cwd());
    return error.problems.map((p) => ({
      message: settingsProblemText(error.source, p),
      about: "stack-settings" as const,
      file,
      ...(p.line ? { line: p.line } : {}),
    }));
  }
  return [{ message: error instanceof Error ? error.message : String(error), about: "run" }];
}

/** A migration that does not parse (or that dbpipe cannot run), as a problem at its place. */
export function parseProblem(record: ParseErrorRecord): LintProblem {
  return { message: `${record.file}:${record.line}:${record.column}: ${record.message}`, about: "migration", file: record.file, line: record.line, column: record.column };
}
