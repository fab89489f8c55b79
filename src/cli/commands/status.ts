import { Command } from "commander";
import { planMigrations } from "../../migrate/verbs/plan";
import type { RegisterCommand } from "../command-io";
import { EXIT } from "../exit-codes";
import { type ProjectFlags, addDatabaseOption, addJsonOption, addProjectOptions, engineOptions, openProject, withMigrationsAndDatabase } from "../project";
import { entriesJson } from "../../migrate/plan";
import { printEntries, printProblems, summary, summaryLine } from "../render";

/** `dbpipe status`: the history, set against the files. Read-only; creates nothing. */
export const register: RegisterCommand = (program, io) => {
  const command = new Command("status").description("show every migration: applied (when, by whom, how long), pending, modified, missing or failed");
  addJsonOption(addDatabaseOption(addProjectOptions(command)));
  command.action(
    io.run(async (flags: ProjectFlags) => {
      const project = openProject(flags);
      const { output } = io;
      return withMigrationsAndDatabase(project, flags, async (database, files) => {
        const result = await planMigrations(engineOptions(project, database, files));
        const { plan } = result;
        if (flags.json) {
          output.json({
            stack: project.settings.stack,
            tier: project.settings.tier,
            database: database.shown,
            layout: result.layout,
            migrations: entriesJson(plan.entries),
            summary: summary(plan.entries),
            problems: plan.problems,
          });
          return plan.problems.length > 0 ? EXIT.invalidInput : EXIT.ok;
        }
        output.line(`Stack ${output.style.bold(project.settings.stack)} (tier ${project.settings.tier}) · ${database.shown} · ${result.layout} layout`);
        output.line();
        printEntries(output, plan.entries);
        if (plan.entries.length > 0) output.line();
        printProblems(output, plan.problems);
        output.line(summaryLine(plan.entries));
        // A modified, missing or failed migration is a history that does not match the files (exit 2).
        return plan.problems.length > 0 ? EXIT.invalidInput : EXIT.ok;
      });
    }),
  );
  program.addCommand(command);
};
