import { Command, CommanderError } from "commander";
import { DbpipeError, databaseFailure } from "../errors";
import { EXIT, exitCodeOf } from "./exit-codes";
import { redactText, redactUrl, rememberUrlSecrets } from "../redact";
import { commandsFor } from "./commands";
import type { CommandIO } from "./command-io";
import { type Output, processOutput } from "./output";
import { givenDatabaseUrl } from "./project";

/**
 * The `dbpipe` command line: one file per command in `commands/`, each a thin wrapper that parses
 * its flags, calls the core and renders the result.
 */

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], given: Output = processOutput()): Promise<number> {
  let exitCode: number = EXIT.ok;
  // How many JSON documents the command printed: a failed `--json` command that printed none gets one.
  let jsonPrinted = 0;
  const output: Output = Object.assign(Object.create(given) as Output, {
    json: (value: unknown) => {
      jsonPrinted++;
      given.json(value);
    },
  });
  const io: CommandIO = {
    output,
    run:
      (action) =>
      async (...args) => {
        // Commander passes the command last: its --database-url (or the environment's) is the
        // database this run uses, whose password must not appear in anything printed.
        const command = args.at(-1);
        const database = command instanceof Command ? databaseOf(command) : undefined;
        rememberUrlSecrets(database);
        const printedJson = jsonPrinted;
        try {
          exitCode = (await action(...args)) ?? EXIT.ok;
        } catch (error) {
          const reported = report(error, output, database);
          exitCode = reported.code;
          // `--json` prints one object on stdout, a refusal too: a command that failed before
          // printing its own gets `{"error": {"message": ...}}`, so `| jq` still reads one.
          if (command instanceof Command && command.opts<{ json?: boolean }>().json === true && jsonPrinted === printedJson) {
            output.json({ error: { message: reported.message }, exitCode });
          }
        }
      },
  };

  const program = new Command("dbpipe")
    .description("Database delivery pipeline: versioned PostgreSQL migrations with risk gates, locally and on Pulumi.")
    .version(packageVersion(), "-V, --version")
    // Program options only before the command: `dbpipe baseline --version 0003` is baseline's --version.
    .enablePositionalOptions()
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      writeOut: (text) => output.line(text.replace(/\n$/, "")),
      writeErr: (text) => output.error(text.replace(/\n$/, "")),
    })
    .exitOverride();
  program.addHelpText(
    "after",
    "\nExit codes: 0 done, 1 refused by policy, 2 invalid input (files, config, flags, integrity), 3 database or I/O failure.",
  );
  for (const command of commandsFor(argv)) (await command.load())(program, io);
  for (const command of program.commands) command.exitOverride().configureOutput(program.configureOutput());

  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end with code 0; a bad flag or argument is invalid input.
      return error.exitCode === 0 ? EXIT.ok : EXIT.invalidInput;
    }
    return report(error, output).code;
  } finally {
    // Off a terminal, stdout holds lines back for a moment: all of them are out before the exit code.
    given.flush();
  }
  return exitCode;
}

/** The database URL a command was given (its --database-url, else the environment's), if it takes one. */
function databaseOf(command: Command): string | undefined {
  if (!command.options.some((o) => o.long === "--database-url")) return undefined;
  return givenDatabaseUrl(command.opts<{ databaseUrl?: string }>());
}

/** Reports an error on stderr and returns its exit code and message (redacted). `database` is the URL the command used, if known. */
function report(error: unknown, output: Output, database?: string): { code: number; message: string } {
  const label = output.errorStyle.red("error:");
  // The network or the server failed outside a migration (a refused connection, a dropped one, an
  // SQL error reading the history): a database failure, not a bug.
  const failure = error instanceof DbpipeError ? error : databaseFailure(error, database ? redactUrl(database) : "the database");
  if (failure) {
    output.error(`${label} ${failure.message}`);
    if (process.env.DBPIPE_DEBUG && failure !== error && error instanceof Error && error.stack) output.error(redactText(error.stack));
    return { code: exitCodeOf(failure), message: redactText(failure.message) };
  }
  // Not ours: a bug, or a failure we did not anticipate. Say so plainly; the stack only on request.
  const message = redactText(error instanceof Error ? error.message : String(error));
  output.error(`${label} ${message}`);
  if (process.env.DBPIPE_DEBUG && error instanceof Error && error.stack) output.error(redactText(error.stack));
  else output.error("(this looks like a bug in dbpipe; set DBPIPE_DEBUG=1 for details)");
  return { code: EXIT.failure, message };
}

function packageVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("../../package.json") as { version: string }).version;
}
