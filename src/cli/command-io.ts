import type { Command } from "commander";
import type { ExitCode } from "./exit-codes";
import type { Output } from "./output";

/** What a command file (`commands/*.ts`) gets from the program (`main.ts`) to register itself with. */

/** What a command file gets to register itself with. */
export interface CommandIO {
  /** Where to write. */
  output: Output;
  /**
   * Wraps a command's action: runs it, turns its result into the process exit code, and reports a
   * {@link DbpipeError} by its message (never a stack trace).
   */
  run<A extends unknown[]>(action: (...args: A) => Promise<ExitCode | void>): (...args: A) => Promise<void>;
  /**
   * Sets what `command` prints on stdout when commander refuses its command line (an unknown flag,
   * a bad value, a missing argument) before the action runs: the document of the format that
   * command line asks for, so that a tool reading stdout still gets one. Default: with `--json`
   * anywhere on the command line, `{"error": {"message": ...}, "exitCode": 2}`; else nothing.
   */
  reportRefusedCommandLine(command: Command, report: RefusedCommandLineReport): void;
}

/** A command line commander refused: what it said (also on stderr), and the exit code. */
export interface RefusedCommandLine {
  /** The command line as typed, after `dbpipe`. */
  argv: readonly string[];
  /** Commander's message, without its `error: ` prefix. */
  message: string;
  /** The exit code: always invalid input. */
  exitCode: ExitCode;
}

/** Prints, on `output`'s stdout, the document that a refused command line asks for (or nothing). */
export type RefusedCommandLineReport = (refused: RefusedCommandLine, output: Output) => void | Promise<void>;

/** A command file's export: adds its command to the program. */
export type RegisterCommand = (program: Command, io: CommandIO) => void;
