import { Command, Option } from "commander";
import { adoptHistory } from "../../adopt/adopt";
import { OTHER_TOOLS, type OtherTool, TOOL_NAMES } from "../../adopt/other-history";
import type { RegisterCommand } from "../command-io";
import { type ProjectFlags, addDatabaseOption, addJsonOption, addProjectOptions, engineOptions, openProject, withMigrationsAndDatabase } from "../project";

interface AdoptFlags extends ProjectFlags {
  from?: OtherTool;
  table?: string;
  dryRun?: boolean;
}

/** How many of the files left pending the text output names. */
const PENDING_SHOWN = 10;

/** `dbpipe adopt`: take over a database that Prisma, Drizzle, Alembic or Flyway migrated, running nothing. */
export const register: RegisterCommand = (program, io) => {
  const command = new Command("adopt")
    .description("record dbpipe's history from another tool's (Prisma, Drizzle, Alembic, Flyway) without running anything; files after the newest one it applied are left pending for `dbpipe up`; refused when that history and the files disagree")
    .addOption(new Option("--from <tool>", "the tool whose history to adopt (default: the one whose table the database has)").choices([...OTHER_TOOLS]))
    .option("--table <[schema.]name>", "that tool's history table, when not its default name (needs --from)")
    .option("--dry-run", "only show what would be recorded and what would be left pending");
  addJsonOption(addDatabaseOption(addProjectOptions(command)));
  command.action(
    io.run(async (flags: AdoptFlags) => {
      const project = openProject(flags);
      const { output } = io;
      return withMigrationsAndDatabase(project, flags, async (database, files) => {
        const result = await adoptHistory(engineOptions(project, database, files), { from: flags.from, table: flags.table, dryRun: flags.dryRun });
        if (flags.json) {
          output.json({ stack: project.settings.stack, database: database.shown, ...result });
          return;
        }
        const tool = TOOL_NAMES[result.tool];
        output.line(`${tool}'s history in ${result.table} · ${database.shown} · ${result.layout} layout`);
        const verb = result.dryRun ? "would record" : "recorded";
        for (const r of result.recorded) {
          const how = r.matchedBy === "checksum" ? `${tool}'s checksum matches` : "matched by version";
          output.line(`  ${output.style.green("✓")} ${r.version} ${r.name} ${output.style.dim(`${verb}, not run (${how})`)}`);
        }
        for (const note of result.notes) output.line(`${output.style.yellow("note:")} ${note}`);
        const p = result.pending.length;
        if (p > 0) {
          // A long list is cut: `dbpipe status` (and --json) names every one.
          const shown = result.pending.slice(0, PENDING_SHOWN).map((m) => m.file);
          const more = p > PENDING_SHOWN ? ` and ${p - PENDING_SHOWN} more (dbpipe status lists them)` : "";
          output.line(`left pending: ${p} file${p === 1 ? "" : "s"} ${tool} never applied — \`dbpipe up\` applies ${p === 1 ? "it" : "them"}: ${shown.join(", ")}${more}`);
        }
        const n = result.recorded.length;
        const later = p > 0 ? `the ${p === 1 ? "file" : `${p} files`} left pending and any added later` : "only migrations added after them";
        output.line(
          result.dryRun
            ? `Would adopt ${n} migration${n === 1 ? "" : "s"} from ${tool}${p > 0 ? `, leaving ${p} pending` : ""}; nothing was written (run without --dry-run to record them).`
            : `Adopted ${n} migration${n === 1 ? "" : "s"} from ${tool}: \`dbpipe up\` runs ${later}. ${tool}'s table is left as it was.`,
        );
      });
    }),
  );
  program.addCommand(command);
};
