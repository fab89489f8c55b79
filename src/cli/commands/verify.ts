import { Command } from "commander";
import { EXIT } from "../exit-codes";
import { type SchemaDifference, shortValue, sqlToMatch } from "../../schema/compare";
import type { RegisterCommand } from "../command-io";
import type { Output } from "../output";
import { addDatabaseOption, addJsonOption, addProjectOptions, engineOptions, openProject, withMigrationsAndDatabase } from "../project";
import { type ScratchFlags, withScratchServer } from "../scratch";

interface VerifyFlags extends ScratchFlags {
  sql?: boolean;
}

/** `dbpipe verify`: is the live schema what its migrations give? Exit 0 when it is, 1 on drift. */
export const register: RegisterCommand = (program, io) => {
  const command = new Command("verify")
    .description("apply the migrations to a scratch database and compare its schema with the database's; exit 1 on drift")
    .option("--scratch-url <url>", "server to create the scratch database on, needs CREATEDB (default: the embedded PostgreSQL)")
    .option("--sql", "print the SQL that would bring the database back to its migrations (never run)");
  addJsonOption(addDatabaseOption(addProjectOptions(command)));
  command.action(
    io.run(async (flags: VerifyFlags) => {
      const project = openProject(flags);
      const { output } = io;
      return withMigrationsAndDatabase(project, flags, (database, files) =>
        withScratchServer(project, flags, database, async (scratchServerUrl, scratchShown) => {
          const { schemaDrift } = await import("../../schema/schema-drift.js");
          const result = await schemaDrift({ ...engineOptions(project, database, files), scratchServerUrl });
          const sql = flags.sql ? sqlToMatch(result.expected, result.actual, result.differences) : undefined;
          const drift = result.differences.length > 0;
          if (flags.json) {
            output.json({ stack: project.settings.stack, database: database.shown, layout: result.layout, applied: result.applied, drift, notes: result.notes, differences: result.differences, ...(sql ? { sql } : {}) });
            return drift ? EXIT.refused : EXIT.ok;
          }
          if (sql) {
            // The SQL alone on stdout, ready to review or redirect; the rest on stderr.
            output.error(`${describe(result.applied.length, database.shown, scratchShown)}: ${drift ? `${result.differences.length} difference(s)` : "no drift"}`);
            for (const note of result.notes) output.error(`note: ${note}`);
            if (drift) {
              output.line(`-- Brings ${database.shown} back to its migrations. Review it; dbpipe did not run it.`);
              for (const s of sql) output.line(s);
            }
            return drift ? EXIT.refused : EXIT.ok;
          }
          output.line(describe(result.applied.length, database.shown, scratchShown));
          for (const note of result.notes) output.line(`${output.style.yellow("note:")} ${note}`);
          printDifferences(output, result.differences);
          output.line(
            drift
              ? `${result.differences.length} difference${result.differences.length === 1 ? "" : "s"}: the database has drifted from its migrations. \`dbpipe verify --sql\` prints the SQL that brings it back; \`dbpipe diff\` writes a migration that keeps the change.`
              : "No drift: the database's schema is what its migrations give.",
          );
          return drift ? EXIT.refused : EXIT.ok;
        }),
      );
    }),
  );
  program.addCommand(command);
};

function describe(applied: number, database: string, scratch: string): string {
  return `${database} compared with ${applied} migration${applied === 1 ? "" : "s"} applied to a scratch database on ${scratch}`;
}

/** One line per difference: `changed column public.t.c type: integer → bigint` (migrations → database). */
export function printDifferences(output: Output, differences: readonly SchemaDifference[]): void {
  if (differences.length === 0) return;
  const { style } = output;
  const label = { missing: style.red("missing"), extra: style.yellow("extra  "), changed: style.cyan("changed") };
  for (const d of differences) {
    const what = `${d.kind} ${style.bold(d.name)}`;
    if (d.change === "changed") output.line(`  ${label.changed} ${what} ${d.attribute}: ${shortValue(d.expected)} → ${shortValue(d.actual)}`);
    else if (d.change === "missing") output.line(`  ${label.missing} ${what} ${style.dim(`(in the migrations, not in the database: ${shortValue(d.expected)})`)}`);
    else output.line(`  ${label.extra} ${what} ${style.dim(`(in the database only: ${shortValue(d.actual)})`)}`);
  }
}
