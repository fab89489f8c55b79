import { Command, CommanderError, InvalidArgumentError } from "commander";
import { EXIT, reportedError } from "./exit-codes";
import { redactText, rememberUrlSecrets } from "../redact";
import { commandsFor } from "./commands";
import type { CommandIO, RefusedCommandLineReport } from "./command-io";
import { flagGiven } from "./command-line";
import { type Output, printError, processOutput } from "./output";
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
  // What each command prints on stdout for a command line commander refuses (see CommandIO).
  const refusedReports = new Map<Command, RefusedCommandLineReport>();
  const io: CommandIO = {
    output,
    reportRefusedCommandLine: (command, report) => void refusedReports.set(command, report),
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
    "\nExit codes: 0 done, 1 refused by policy, 2 invalid input (files, config, flags, integrity), 3 database or I/O failure, 130 or 143 interrupted (Ctrl-C, SIGTERM).",
  );
  for (const command of commandsFor(argv)) (await command.load())(program, io);
  for (const command of program.commands) {
    command.exitOverride().configureOutput(program.configureOutput());
    refuseOptionsAsValues(command);
  }

  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end with code 0; a bad flag or argument is invalid input.
      if (error.exitCode === 0) return EXIT.ok;
      // Commander said what is wrong on stderr; a command line that asks for JSON (or a
      // command's own format) also gets its one document on stdout, as a refused action does.
      const command = program.commands.find((c) => c.name() === argv[0]);
      const refused = { argv, message: error.message.replace(/^error: /, ""), exitCode: EXIT.invalidInput };
      await ((command && refusedReports.get(command)) ?? jsonErrorIfAsked)(refused, output);
      return EXIT.invalidInput;
    }
    return report(error, output).code;
  } finally {
    // Off a terminal, stdout holds lines back for a moment: all of them are out before the exit code.
    given.flush();
  }
  return exitCode;
}

/**
 * An option that takes a value refuses one of the command's own options as that value: commander
 * takes the next word whatever it is, so `down --to --database-url URL` made `--database-url` the
 * version and `URL` an argument too many, and `env new prod --tier --region eu-west-1` said
 * `--region` is no tier. A variadic option stops at an option already.
 */
function refuseOptionsAsValues(command: Command): void {
  const names = new Set(command.options.flatMap((o) => [o.long, o.short]).filter((n): n is string => n !== undefined));
  names.add("--help").add("-h");
  for (const option of command.options) {
    if (!option.required || option.variadic) continue;
    const parse = option.parseArg;
    option.argParser((value: string, previous: unknown) => {
      const name = value.split("=")[0];
      if (names.has(name)) throw new InvalidArgumentError(`${name} is an option of \`${command.name()}\`, not a value: give ${option.long} its value first (${option.flags}).`);
      return parse ? parse(value, previous) : value;
    });
  }
  for (const sub of command.commands) refuseOptionsAsValues(sub);
}

/** The default {@link RefusedCommandLineReport}: `{"error": {"message"}, "exitCode"}` when `--json` is anywhere on the command line. */
const jsonErrorIfAsked: RefusedCommandLineReport = (refused, output) => {
  if (flagGiven(refused.argv, "--json")) output.json({ error: { message: refused.message }, exitCode: refused.exitCode });
};

/** The database URL a command was given (its --database-url, else the environment's), if it takes one. */
function databaseOf(command: Command): string | undefined {
  if (!command.options.some((o) => o.long === "--database-url")) return undefined;
  return givenDatabaseUrl(command.opts<{ databaseUrl?: string }>());
}

/** Reports an error on stderr and returns its exit code and message (redacted). `database` is the URL the command used, if known. */
function report(error: unknown, output: Output, database?: string): { code: number; message: string } {
  const reported = reportedError(error, database);
  printError(output, reported.message);
  if (reported.known) {
    if (process.env.DBPIPE_DEBUG && reported.known !== error && error instanceof Error && error.stack) output.error(redactText(error.stack));
  } else if (process.env.DBPIPE_DEBUG && error instanceof Error && error.stack) {
    output.error(redactText(error.stack));
  } else {
    // Not ours: a bug, or a failure we did not anticipate. Said plainly; the stack only on request.
    output.error("(this looks like a bug in dbpipe; set DBPIPE_DEBUG=1 for details)");
  }
  return { code: reported.exitCode, message: reported.message };
}

function packageVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("../../package.json") as { version: string }).version;
}
