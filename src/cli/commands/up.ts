import { Command } from "commander";
import { DbpipeError, EXIT, databaseFailure } from "../../errors";
import { type AppliedMigration, upMigrations } from "../../migrate/engine";
import { formatElapsed } from "../../text/duration";
import { MigrationFailedError } from "../../migrate/sql-error";
import * as path from "node:path";
import { backupToFolder } from "../../backup/local-folder";
import { riskGate } from "../../risk/gate";
import type { RiskLevel } from "../../settings/tiers";
import type { RegisterCommand } from "../main";
import { errorJson } from "../render";
import { type ProjectFlags, addDatabaseOption, addJsonOption, addProjectOptions, engineOptions, openProject, withDatabase } from "../project";

interface UpFlags extends ProjectFlags {
  rehearse?: boolean;
}

/** `dbpipe up`: applies every pending migration, each in its own transaction with its history row. */
export const register: RegisterCommand = (program, io) => {
  const command = new Command("up")
    .description("apply pending migrations in order; stops at the first failure (earlier ones stay applied)")
    .option("--rehearse", "run the pending migrations in one transaction and roll it back: report what would fail, change nothing");
  addJsonOption(addDatabaseOption(addProjectOptions(command)));
  command.action(
    io.run(async (flags: UpFlags) => {
      const project = openProject(flags);
      const { output } = io;
      const s = output.style;
      const applied: AppliedMigration[] = [];
      const risks = new Map<string, RiskLevel>();
      const verb = flags.rehearse ? "rehearsed" : "applied";
      return withDatabase(project, flags, async (database) => {
        if (!flags.json) output.line(`dbpipe up${flags.rehearse ? " --rehearse" : ""} · stack ${s.bold(project.settings.stack)} (tier ${project.settings.tier}) · ${database.shown}`);
        // The migration running now: shown on a terminal while it runs, marked ✗ if it fails.
        let running: { version: string; name: string } | undefined;
        const events = {
          waitingForLock: () => output.error(`waiting for another dbpipe run on this database (up to ${formatElapsed(project.settings.migrations.lockWaitMs)})...`),
          migrationStarted: (m: { version: string; name: string }) => {
            running = m;
            if (!flags.json) output.progress(`  ${s.cyan("→")} ${m.version} ${m.name}…`);
          },
          migrationApplied: (m: { version: string; name: string; file: string }, ms: number) => {
            running = undefined;
            applied.push({ version: m.version, name: m.name, file: m.file, executionMs: ms, risk: risks.get(m.version) ?? null });
            const risk = risks.get(m.version);
            const riskNote = risk && risk !== "low" ? ` ${(risk === "high" ? s.red : s.yellow)(`${risk} risk`)}` : "";
            if (!flags.json) output.line(`  ${s.green("✓")} ${m.version} ${m.name} ${s.dim(formatElapsed(ms))}${riskNote}`);
          },
          migrationSkipped: (m: { version: string; name: string }, reason: string) => {
            if (!flags.json) output.line(`  ${s.yellow("-")} ${m.version} ${m.name} ${s.dim(`not rehearsed: ${reason}`)}`);
          },
        };
        try {
          const backupFolder = path.join(project.dir, ".dbpipe", project.settings.stack, "backups");
          const gate = riskGate({
            settings: project.settings,
            backup: async (pending, client) => {
              const backup = await backupToFolder({ folder: backupFolder, stack: project.settings.stack, url: database.url, client, pending, refBase: project.dir });
              if (!flags.json) output.line(`  ${s.green("✓")} backup ${backup.ref.replace(/^file:/, "")} ${s.dim(`${formatBytes(backup.dump.bytes)}, ${formatElapsed(backup.dump.ms)}`)}`);
              return backup.ref;
            },
            onAssessed: ({ linted }) => linted.forEach((m) => risks.set(m.version, m.risk)),
            onBackup: (reason) => !flags.json && output.line(`  backing up first: ${reason}`),
          });
          const result = await upMigrations(engineOptions(project, database, events), { rehearse: flags.rehearse, beforeApply: gate });
          const newest = result.plan.entries.filter((e) => e.status === "applied" || e.status === "pending").at(-1);
          if (flags.json) {
            output.json({
              stack: project.settings.stack,
              tier: project.settings.tier,
              database: database.shown,
              rehearsal: result.rehearsal,
              applied: result.applied.map(({ version, name, file, executionMs, risk }) => ({ version, name, file, executionMs, risk: risk ?? null })),
              skipped: result.skipped,
              version: result.rehearsal ? (result.plan.entries.filter((e) => e.status === "applied").at(-1)?.version ?? null) : (newest?.version ?? null),
            });
            return EXIT.ok;
          }
          const total = result.applied.reduce((sum, a) => sum + a.executionMs, 0);
          if (result.applied.length === 0 && result.skipped.length === 0) {
            output.line(`Nothing to apply: the database is up to date${newest ? ` at ${newest.version} (${newest.name})` : ""}.`);
          } else if (result.rehearsal) {
            output.line(`Rehearsal passed: ${result.applied.length} migration${result.applied.length === 1 ? "" : "s"} ran in ${formatElapsed(total)} and were rolled back; nothing changed.`);
          } else {
            output.line(`Applied ${result.applied.length} migration${result.applied.length === 1 ? "" : "s"} in ${formatElapsed(total)}; the database is at ${newest!.version} (${newest!.name}).`);
          }
          return EXIT.ok;
        } catch (error) {
          if (!flags.json && running) output.line(`  ${s.red("✗")} ${running.version} ${running.name}`);
          const failure = error instanceof DbpipeError ? error : databaseFailure(error, database.shown);
          if (flags.json && failure) {
            output.json({
              stack: project.settings.stack,
              tier: project.settings.tier,
              database: database.shown,
              rehearsal: Boolean(flags.rehearse),
              applied,
              error: errorJson(failure),
            });
            return failure.exitCode;
          }
          if (!flags.json && applied.length > 0 && error instanceof MigrationFailedError) {
            output.error(`${applied.length} migration${applied.length === 1 ? "" : "s"} ${verb} before the failure${flags.rehearse ? " (rolled back)" : " stay applied"}.`);
          }
          throw failure ?? error;
        }
      });
    }),
  );
  program.addCommand(command);
};

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
