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
}

/** A command file's export: adds its command to the program. */
export type RegisterCommand = (program: Command, io: CommandIO) => void;
