import { Command } from "commander";
import type { DrillReport } from "../../backup/drill";
import { formatBytes, throttledProgress } from "../../backup/progress";
import type { RestorePhase, RestoreProgress } from "../../backup/restore";
import { InputError } from "../../errors";
import { EXIT } from "../exit-codes";
import { formatElapsed } from "../../text/duration";
import { HISTORY_TABLE, historyHead, readHistory } from "../../migrate/history";
import { withSession } from "../../migrate/session";
import { redactUrl, rememberUrlSecrets } from "../../redact";
import { isPostgresUrl, notAPostgresUrl } from "../../database-url";
import type { Output } from "../output";
import type { RegisterCommand } from "../command-io";
import { addDatabaseOption, addJsonOption, openProject, projectBackupStore, withDatabase } from "../project";
import { type StoreFlags, addStoreOptions } from "./backup";

interface RestoreFlags extends StoreFlags {
  to?: string;
  force?: boolean;
  drill?: boolean;
}

const VERB: Record<RestorePhase, string> = { restoring: "restoring" };

/** `dbpipe restore <id> --to <url>` and `dbpipe restore --drill`. */
export const register: RegisterCommand = (program, io) => {
  const command = new Command("restore")
    .description("restore a backup into a database (--to), or drill: restore the newest into a scratch database and compare row counts with the source (--drill)")
    .argument("[id]", "the backup to restore (dbpipe backups lists them); with --drill, default the newest")
    .option("--to <url>", "the database to restore into (PostgreSQL URL); it must be empty unless --force")
    .option("--force", "restore into a database that is not empty: what the backup holds is dropped and recreated, other objects stay")
    .option("--drill", "restore the backup into a scratch database on the stack's server, compare each table's row count with the stack's database, drop the scratch database, report")
    .addHelpText(
      "after",
      "\nThe dump's sha256 is checked against its manifest before the restore can commit (as it streams into pg_restore, its last MiB held back until it matches), and pg_restore runs in one transaction: a failed restore leaves the target as it was.\n" +
        "Exit codes: 0 restored (drill: row counts match), 2 invalid input (no such backup, a non-empty target without --force), 3 failure (a damaged backup, a store that cannot be read or a --store folder that does not exist, pg_restore failed, drill: counts differ).",
    );
  addJsonOption(addDatabaseOption(addStoreOptions(command)));
  command.action(
    io.run(async (id: string | undefined, flags: RestoreFlags) => {
      rememberUrlSecrets(flags.to);
      if (flags.drill && flags.to !== undefined) throw new InputError("--drill restores into a scratch database of its own: leave out --to (or leave out --drill to restore into --to)");
      if (flags.drill && flags.force) throw new InputError("--force does not apply to --drill: the scratch database is always new");
      if (!flags.drill && id === undefined) throw new InputError("give the backup to restore (dbpipe backups lists them) and --to <url>, or --drill");
      if (!flags.drill && flags.to === undefined) throw new InputError(`--to <url> is required: the database to restore ${id} into`);
      if (flags.to !== undefined && !isPostgresUrl(flags.to)) throw new InputError(notAPostgresUrl("--to", flags.to));
      const project = openProject(flags, { migrations: false });
      const { output } = io;
      const { store, source } = await projectBackupStore(project, flags.store, io.output);
      const progress = throttledProgress((text) => output.transferProgress(`  ${text}`));
      const onProgress = flags.json ? undefined : (p: RestoreProgress) => progress(VERB[p.phase], p.bytes, p.elapsedMs, p.total);

      if (flags.drill) {
        return withDatabase(project, flags, async (database) => {
          if (!flags.json) output.line(`dbpipe restore --drill · stack ${output.style.bold(project.settings.stack)} · ${database.shown} · ${store.url} (${source})`);
          const { restoreDrill } = await import("../../backup/drill.js");
          const report = await withSession(database.url, (client) =>
            restoreDrill(store, {
              url: database.url,
              client,
              id,
              stack: project.settings.stack,
              onProgress,
              history: { table: HISTORY_TABLE, head: async (restored) => historyHead(await readHistory(restored)) },
              onBackup: (b) => !flags.json && output.line(`  restoring ${b.manifest.id} (${formatBytes(b.manifest.bytes)}, taken ${b.manifest.createdAt}) into a scratch database`),
            }),
          );
          if (flags.json) output.json({ stack: project.settings.stack, database: database.shown, store: store.url, ...drillJson(report) });
          else printDrill(output, report);
          return report.matches ? EXIT.ok : EXIT.failure;
        });
      }

      const to = flags.to!;
      if (!flags.json) output.line(`dbpipe restore ${id} · ${store.url} (${source}) → ${redactUrl(to)}`);
      // A wrong id is reported before connecting to the target.
      (await store.open(id!)).dump.destroy();
      const { restoreBackup } = await import("../../backup/restore.js");
      const result = await withSession(to, (client) => restoreBackup(store, id!, { to, client, force: flags.force, onProgress }));
      const { manifest } = result;
      if (flags.json) {
        output.json({ id: manifest.id, stack: manifest.stack, store: store.url, to: redactUrl(to), restoreMs: result.restoreMs, bytes: manifest.bytes, sha256: manifest.sha256, head: manifest.head, createdAt: manifest.createdAt });
        return EXIT.ok;
      }
      output.line(`  ${output.style.green("✓")} sha256 matches the manifest (${formatBytes(manifest.bytes)})`);
      output.line(`  ${output.style.green("✓")} restored in ${formatElapsed(result.restoreMs)}`);
      output.line(`Restored ${manifest.id} (stack ${manifest.stack}, taken ${manifest.createdAt}, migration head ${manifest.head ?? "none"}) into ${redactUrl(to)}.`);
      return EXIT.ok;
    }),
  );
  program.addCommand(command);
};

function drillJson(report: DrillReport): Record<string, unknown> {
  return {
    id: report.backup.manifest.id,
    createdAt: report.backup.manifest.createdAt,
    scratchDatabase: report.scratchDatabase,
    restoreMs: report.restoreMs,
    matches: report.matches,
    tables: report.tables,
    leftoversDropped: report.leftoversDropped,
    ...(report.history ? { history: report.history } : {}),
  };
}

function printDrill(output: Output, report: DrillReport): void {
  const s = output.style;
  const width = Math.max("table".length, ...report.tables.map((t) => t.table.length));
  const n = (v: number | null) => (v === null ? "missing" : String(v));
  for (const leftover of report.leftoversDropped) output.line(`  dropped ${leftover}, the scratch database an interrupted drill left`);
  output.line(`  ${s.green("✓")} restored in ${formatElapsed(report.restoreMs)} into ${report.scratchDatabase} (dropped again)`);
  output.line(`  ${"table".padEnd(width)}  ${"source".padStart(10)}  ${"restored".padStart(10)}`);
  for (const t of report.tables) {
    const ok = t.sourceRows === t.restoredRows;
    output.line(`  ${t.table.padEnd(width)}  ${n(t.sourceRows).padStart(10)}  ${n(t.restoredRows).padStart(10)}  ${ok ? s.green("✓") : s.red("✗ differs")}`);
  }
  const { history } = report;
  const historyOk = !history || history.restoredHead === history.manifestHead;
  if (history) {
    // A backup taken before a migration has the history as it was then: its head is what must match, not its rows.
    const head = (v: string | null) => v ?? "none";
    output.line(
      `  ${history.table.padEnd(width)}  ${historyOk ? `ends at ${head(history.restoredHead)}, as the manifest says` : `ends at ${head(history.restoredHead)}, but the manifest says ${head(history.manifestHead)}`}  ${historyOk ? s.green("✓") : s.red("✗ differs")}`,
    );
  }
  const differing = report.tables.filter((t) => t.sourceRows !== t.restoredRows).length;
  if (report.matches) {
    output.line(`Drill passed: ${report.backup.manifest.id} restores, and its ${report.tables.length} table${report.tables.length === 1 ? "" : "s"} have the source's row counts${history ? "; its migration history ends where the manifest says" : ""}.`);
  } else if (differing === 0) {
    output.line(`Drill found the restored migration history ending at ${history?.restoredHead ?? "none"}, not at ${history?.manifestHead ?? "none"} as the backup's manifest says: the dump is not what the manifest describes.`);
  } else {
    output.line(
      `Drill found ${differing} table${differing === 1 ? "" : "s"} that differ${differing === 1 ? "s" : ""} from the source. ` +
        `Rows written since the backup was taken (${report.backup.manifest.createdAt}) explain a difference; a table missing from the restore does not.`,
    );
  }
}
