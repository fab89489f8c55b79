import { Command } from "commander";
import { downMigrations } from "../../migrate/engine";
import { formatMs } from "../../migrate/lock";
import type { RegisterCommand } from "../main";
import { type ProjectFlags, addDatabaseOption, addJsonOption, addProjectOptions, engineOptions, openProject, withDatabase } from "../project";

interface DownFlags extends ProjectFlags {
  to: string;
}

/** `dbpipe down --to V`: runs down parts newest first, each in its own transaction. */
export const register: RegisterCommand = (program, io) => {
  const command = new Command("down")
    .description("revert applied migrations newer than --to, newest first, with their down parts (-- dbpipe:down)")
    .requiredOption("--to <version>", "the version to go back to (0 reverts everything)");
  addJsonOption(addDatabaseOption(addProjectOptions(command)));
  command.action(
    io.run(async (flags: DownFlags) => {
      const project = openProject(flags);
      const { output } = io;
      return withDatabase(project, flags, async (database) => {
        if (!flags.json) output.line(`dbpipe down --to ${flags.to} · stack ${output.style.bold(project.settings.stack)} (tier ${project.settings.tier}) · ${database.shown}`);
        const events = {
          migrationApplied: (m: { version: string; name: string }, ms: number) => {
            if (!flags.json) output.line(`  ${output.style.yellow("↶")} ${m.version} ${m.name} ${output.style.dim(formatMs(ms))}`);
          },
        };
        const result = await downMigrations(engineOptions(project, database, events), flags.to);
        if (flags.json) {
          output.json({ stack: project.settings.stack, database: database.shown, reverted: result.reverted });
          return;
        }
        output.line(
          result.reverted.length === 0
            ? `Nothing to revert: nothing newer than ${flags.to} is applied.`
            : `Reverted ${result.reverted.length} migration${result.reverted.length === 1 ? "" : "s"}; the database is at ${flags.to === "0" || /^0+$/.test(flags.to) ? "no migration" : flags.to}.`,
        );
      });
    }),
  );
  program.addCommand(command);
};
