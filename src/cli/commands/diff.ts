import * as path from "node:path";
import { Command } from "commander";
import { loadMigrations } from "../../migrate/files";
import { checkDraftName, draftMigration } from "../../schema/draft-migration";
import { formatText } from "../format/text";
import type { RegisterCommand } from "../command-io";
import { addDatabaseOption, addJsonOption, addProjectOptions, engineOptions, openProject, withMigrationsAndDatabase } from "../project";
import { type ScratchFlags, withScratchServer } from "../scratch";
import { printDifferences } from "./verify";

interface DiffFlags extends ScratchFlags {
  name?: string;
  dryRun?: boolean;
  markApplied?: boolean;
}

/** `dbpipe diff`: changes made by hand on a dev database, written as a new migration, then linted like any other. */
export const register: RegisterCommand = (program, io) => {
  const command = new Command("diff")
    .description("write the changes made by hand to the database as a new migration file (next version, the folder's layout), and lint it")
    .option("--name <name>", "the new migration's name (letters, digits, _)", "changes_by_hand")
    .option("--dry-run", "print the SQL and the file name; write nothing")
    .option("--mark-applied", "also record the new migration as applied on this database, whose schema already has it")
    .option("--scratch-url <url>", "server to create the scratch database on, needs CREATEDB (default: the embedded PostgreSQL)");
  addJsonOption(addDatabaseOption(addProjectOptions(command)));
  command.action(
    io.run(async (flags: DiffFlags) => {
      // A name that cannot be a file name is refused before any server starts.
      if (flags.name !== undefined) checkDraftName(flags.name);
      const project = openProject(flags);
      const { output } = io;
      return withMigrationsAndDatabase(project, flags, (database, files) =>
        withScratchServer(project, flags, database, async (scratchServerUrl) => {
          const result = await draftMigration({ ...engineOptions(project, database, files), scratchServerUrl }, { name: flags.name, dryRun: flags.dryRun, markApplied: flags.markApplied });
          // The new file goes through the stack's risk rules like any other, after the files before it.
          const assessment =
            result.file && !flags.dryRun
              ? await (await import("../../pipeline/assess.js")).assess({ settings: project.settings, migrations: loadMigrations(project.migrationsDir, { layout: result.layout }).migrations, pending: [result.version!] })
              : undefined;
          if (flags.json) {
            const { removal: _removal, ...drafted } = result;
            output.json({
              stack: project.settings.stack,
              database: database.shown,
              ...drafted,
              lint: assessment ? { findings: assessment.judged[0]?.findings ?? [], risk: assessment.judged[0]?.risk, verdict: assessment.verdict } : null,
            });
            return;
          }
          for (const note of result.notes) output.line(`${output.style.yellow("note:")} ${note}`);
          if (!result.file) {
            output.line(`No changes by hand: ${database.shown} has the schema its migrations give; nothing was written.`);
            return;
          }
          output.line(`Changes by hand on ${database.shown} (migrations → database):`);
          printDifferences(output, result.differences);
          output.line();
          if (flags.dryRun) {
            output.line(`Would write ${result.file}:`);
            for (const s of result.sql) output.line(s);
            return;
          }
          output.line(`Wrote ${output.style.bold(result.file)} (${result.sql.length} statement${result.sql.length === 1 ? "" : "s"}); review it before you commit it.`);
          if (result.markedApplied) output.line(`Recorded ${result.version} as applied on ${database.shown}: its changes are already there.`);
          else output.line(`On this database its changes are already there: \`dbpipe up\` would run them again. To record it as applied here instead, ${result.removal}, then run ${againWithMarkApplied(flags)}.`);
          output.line();
          output.line(`dbpipe lint ${path.relative(process.cwd(), project.migrationsDir) || "."} (stack ${project.settings.stack}) on it:`);
          for (const line of formatText(assessment!.judged, assessment!.verdict, output.style)) output.line(line);
        }),
      );
    }),
  );
  program.addCommand(command);
};

/**
 * The `diff --mark-applied` that writes the same migration again and records it, once the one
 * just written is deleted: this run's options, but for the URLs, which may hold passwords.
 */
function againWithMarkApplied(flags: DiffFlags): string {
  const quote = (v: string) => (/^[\w./:@%+=,-]+$/.test(v) ? v : `'${v.replace(/'/g, "'\\''")}'`);
  const args = [
    ...(flags.stack !== "dev" ? ["--stack", flags.stack] : []),
    ...(flags.dir !== undefined ? ["--dir", flags.dir] : []),
    ...(flags.layout !== undefined ? ["--layout", flags.layout] : []),
    "--name",
    flags.name ?? "changes_by_hand",
    "--mark-applied",
  ];
  const urls = [...(flags.databaseUrl !== undefined ? ["--database-url"] : []), ...(flags.scratchUrl !== undefined ? ["--scratch-url"] : [])];
  return `\`dbpipe diff ${args.map(quote).join(" ")}\`${urls.length > 0 ? ` with the same ${urls.join(" and ")}` : ""}`;
}
