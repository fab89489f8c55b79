import { Command } from "commander";
import { baselineMigrations } from "../../migrate/verbs/baseline";
import type { RegisterCommand } from "../command-io";
import { type ProjectFlags, addDatabaseOption, addJsonOption, addProjectOptions, engineOptions, openProject, withMigrationsAndDatabase } from "../project";

interface BaselineFlags extends ProjectFlags {
  version: string;
}

/** `dbpipe baseline --version V`: adopt a database that already has the schema. */
export const register: RegisterCommand = (program, io) => {
  const command = new Command("baseline")
    .description("record every migration up to --version as applied without running it (a database that already has that schema)")
    .requiredOption("--version <version>", "the newest migration the database already has (required)");
  addJsonOption(addDatabaseOption(addProjectOptions(command)));
  command.action(
    io.run(async (flags: BaselineFlags) => {
      const project = openProject(flags);
      return withMigrationsAndDatabase(project, flags, async (database, files) => {
        const result = await baselineMigrations(engineOptions(project, database, files), flags.version);
        if (flags.json) {
          io.output.json({ stack: project.settings.stack, database: database.shown, baselined: result.recorded });
          return;
        }
        for (const r of result.recorded) io.output.line(`  ${io.output.style.green("✓")} ${r.version} ${r.name} ${io.output.style.dim("recorded, not run")}`);
        io.output.line(`Baselined ${result.recorded.length} migration${result.recorded.length === 1 ? "" : "s"} up to ${flags.version}; \`dbpipe up\` applies the ones after it.`);
      });
    }),
  );
  program.addCommand(command);
};
