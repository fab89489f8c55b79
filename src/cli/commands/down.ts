import { Command } from "commander";
import { DbpipeError, InputError } from "../../errors";
import { EXIT, exitCodeOf } from "../exit-codes";
import type { DownTarget } from "../../migrate/verbs/down";
import { formatElapsed } from "../../text/duration";
import type { DeployedMigration } from "../../pipeline/deploy";
import type { RegisterCommand } from "../command-io";
import { errorJson } from "../render";
import { printError } from "../output";
import { interruptible, leftByInterruptedRun } from "../interrupt";
import { type RunState, sharedDeployEvents } from "../deploy-events";
import { type ProjectFlags, addDatabaseOption, addJsonOption, addProjectOptions, deployOptions, openProject, withMigrationsAndDatabase } from "../project";

interface DownFlags extends ProjectFlags {
  to?: string;
  all?: boolean;
}

/**
 * `dbpipe down --to V` / `dbpipe down --all`: runs down parts newest first, each in its own
 * transaction, after the same risk gate as `up` (the stack's verdict on the down parts, and the
 * backup it asks for).
 */
export const register: RegisterCommand = (program, io) => {
  const command = new Command("down")
    .description("revert applied migrations newer than --to (or every one, with --all), newest first, with their down parts (-- dbpipe:down)")
    .option("--to <version>", "the version to go back to: it stays applied, newer ones are reverted (required unless --all)")
    .option("--all", "revert every applied migration")
    .addHelpText(
      "after",
      "\nThe stack's risk rules apply to the down parts as they do to `up`: a down part whose risk needs an\n" +
        "approval runs only when dbpipe:approvals lists the file's version and checksum (the checksum covers\n" +
        "the whole file, down part included), and the backup the stack asks for is taken first.\n" +
        "`--to 0` reverts everything unless a migration has version 0 (0000_...): then use --all.",
    );
  addJsonOption(addDatabaseOption(addProjectOptions(command)));
  command.action(
    io.run(async (flags: DownFlags) => {
      const target = targetOf(flags);
      const project = openProject(flags);
      const { output } = io;
      const s = output.style;
      const reverted: Pick<DeployedMigration, "version" | "name" | "file" | "executionMs">[] = [];
      const label = "all" in target ? "--all" : `--to ${target.to}`;
      return withMigrationsAndDatabase(project, flags, async (database, files) => {
        if (!flags.json) output.line(`dbpipe down ${label} · stack ${s.bold(project.settings.stack)} (tier ${project.settings.tier}) · ${database.shown}`);
        const state: RunState = { backingUp: false };
        // Ctrl-C or a cancelled CI job: say what the run leaves before the process ends.
        const left = () => leftByInterruptedRun({ ...state, done: reverted.length, verb: "reverted" });
        try {
          const { deploy } = await import("../../pipeline/deploy.js");
          const result = await interruptible(output, left, async () => deploy({
            ...(await deployOptions(project, database, files, io.output)),
            action: { verb: "down", target },
            events: {
              ...sharedDeployEvents(output, project.settings.migrations.lockWaitMs, flags.json, state),
              migrationApplied: (m, ms) => {
                state.running = undefined;
                reverted.push({ version: m.version, name: m.name, file: m.file, executionMs: ms });
                if (!flags.json) output.line(`  ${s.yellow("↶")} ${m.version} ${m.name} ${s.dim(formatElapsed(ms))}`);
              },
            },
          }));
          if (flags.json) {
            output.json({ stack: project.settings.stack, database: database.shown, reverted, version: result.head?.version ?? null, backupRef: result.backup?.ref ?? null });
            return EXIT.ok;
          }
          const at = result.head ? result.head.version : "no migration";
          output.line(
            result.reverted.length === 0
              ? `Nothing to revert: ${"all" in target ? "no migration is applied" : `nothing newer than ${target.to} is applied`}.`
              : `Reverted ${result.reverted.length} migration${result.reverted.length === 1 ? "" : "s"}; the database is at ${at}.`,
          );
          return EXIT.ok;
        } catch (error) {
          if (flags.json && error instanceof DbpipeError) {
            // The object on stdout carries the error; stderr gets it too, as for every other refusal.
            printError(output, error.message);
            output.json({ stack: project.settings.stack, database: database.shown, reverted, error: errorJson(error) });
            return exitCodeOf(error);
          }
          if (!flags.json && reverted.length > 0) output.error(`${reverted.length} migration${reverted.length === 1 ? "" : "s"} reverted before the failure ${reverted.length === 1 ? "stays" : "stay"} reverted.`);
          throw error;
        }
      });
    }),
  );
  program.addCommand(command);
};

/** `--to V` or `--all`, exactly one; checked before any database is opened. */
function targetOf(flags: DownFlags): DownTarget {
  if (flags.all && flags.to !== undefined) throw new InputError("give either --to <version> or --all, not both");
  if (flags.all) return { all: true };
  if (flags.to === undefined) throw new InputError("required option '--to <version>' not specified: give the version to go back to, or --all to revert everything");
  return { to: flags.to };
}
