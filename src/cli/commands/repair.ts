import { Command } from "commander";
import { repairHistory } from "../../migrate/verbs/repair";
import type { RegisterCommand } from "../command-io";
import { type ProjectFlags, addDatabaseOption, addJsonOption, addProjectOptions, engineOptions, openProject, withMigrationsAndDatabase } from "../project";

interface RepairFlags extends ProjectFlags {
  dryRun?: boolean;
  markApplied?: string[];
  forgetAll?: boolean;
}

/** `dbpipe repair`: mends the history when the history itself is wrong. */
export const register: RegisterCommand = (program, io) => {
  const command = new Command("repair")
    .description(
      "mend the history table: clear failed records (they run again), realign checksums of applied files that changed, remove records of deleted files",
    )
    .option("--mark-applied <version...>", "mark these failed migrations applied instead (you finished them by hand)")
    .option("--dry-run", "say what would change, change nothing")
    .option("--forget-all", "remove the records even when no applied migration has a file any more (refused otherwise: a wrong --dir or --layout looks the same)");
  addJsonOption(addDatabaseOption(addProjectOptions(command)));
  command.action(
    io.run(async (flags: RepairFlags) => {
      const project = openProject(flags);
      const { output } = io;
      return withMigrationsAndDatabase(project, flags, async (database, files) => {
        // Which database is about to change, said before anything changes (stderr with --json).
        const heading = `dbpipe repair${flags.dryRun ? " --dry-run" : ""} · stack ${project.settings.stack} (tier ${project.settings.tier}) · ${database.shown}`;
        if (flags.json) output.error(heading);
        else output.line(heading);
        const changes = await repairHistory(engineOptions(project, database, files), { dryRun: flags.dryRun, markApplied: flags.markApplied, forgetAll: flags.forgetAll });
        if (flags.json) {
          output.json({ stack: project.settings.stack, database: database.shown, dryRun: Boolean(flags.dryRun), changes });
          return;
        }
        if (changes.length === 0) {
          output.line("The history matches the files: nothing to repair.");
          return;
        }
        for (const c of changes) output.line(`  ${flags.dryRun ? "-" : output.style.green("✓")} ${c.description}`);
        output.line(flags.dryRun ? `${changes.length} change(s) would be made; run without --dry-run to make them.` : `Repaired ${changes.length} record(s).`);
      });
    }),
  );
  program.addCommand(command);
};
