import { Command } from "commander";
import { DbpipeError, databaseFailure } from "../../errors";
import { EXIT, type ExitCode, exitCodeOf } from "../exit-codes";
import { formatElapsed } from "../../text/duration";
import { MigrationFailedError } from "../../migrate/sql-error";
import type { DeployedMigration } from "../../pipeline/deploy";
import type { CommandIO, RegisterCommand } from "../command-io";
import type { CheckAhead } from "../../sql/check-ahead";
import { errorJson } from "../render";
import { printError } from "../output";
import { interruptible, leftByInterruptedRun } from "../interrupt";
import { type RunState, sharedDeployEvents } from "../deploy-events";
import {
  type Project,
  type ProjectFlags,
  addDatabaseOption,
  addIgnoreOtherHistoryOption,
  addJsonOption,
  addProjectOptions,
  deployOptions,
  openProject,
  withMigrationsAndDatabase,
} from "../project";

interface UpFlags extends ProjectFlags {
  rehearse?: boolean;
  ignoreOtherHistory?: boolean;
}

/** `dbpipe up`: applies every pending migration, each in its own transaction with its history row. */
export const register: RegisterCommand = (program, io) => {
  const command = new Command("up")
    .description("apply pending migrations in order; stops at the first failure (earlier ones stay applied)")
    .option("--rehearse", "run the pending migrations in one transaction and roll it back: report what would fail, change nothing");
  addJsonOption(addIgnoreOtherHistoryOption(addDatabaseOption(addProjectOptions(command)), "up"));
  command.action(
    io.run(async (flags: UpFlags) => {
      const project = openProject(flags);
      // Where `up` only checks that the files parse, a second thread checks them while this one
      // reads them and connects (see sql/check-ahead.ts): started now, so that its start overlaps.
      const { checksOnly } = await import("../../pipeline/deploy.js");
      const checks = checksOnly(project.settings) ? (await import("../../sql/check-ahead.js")).CheckAhead.start() : undefined;
      try {
        return await upOn(project, flags, io, checks);
      } finally {
        checks?.close();
      }
    }),
  );
  program.addCommand(command);
};

/** `up` itself, with the check-ahead thread the action started (or none). */
async function upOn(project: Project, flags: UpFlags, io: CommandIO, checks: CheckAhead | undefined): Promise<ExitCode> {
  const { output } = io;
  const s = output.style;
  const applied: Omit<DeployedMigration, "checksum" | "finishedAt">[] = [];
  const verb = flags.rehearse ? "rehearsed" : "applied";
  return withMigrationsAndDatabase(project, flags, async (database, files) => {
    if (!flags.json) output.line(`dbpipe up${flags.rehearse ? " --rehearse" : ""} · stack ${s.bold(project.settings.stack)} (tier ${project.settings.tier}) · ${database.shown}`);
    // The migration running now (shown on a terminal while it runs, marked ✗ if it fails), and whether a backup is being taken.
    const state: RunState = { backingUp: false };
    const shared = sharedDeployEvents(output, project.settings.migrations.lockWaitMs, flags.json, state);
    // Ctrl-C or a cancelled CI job: say what the run leaves before the process ends.
    const left = () => leftByInterruptedRun({ ...state, done: applied.length, verb: "applied", rehearsal: flags.rehearse });
    try {
      const { deploy } = await import("../../pipeline/deploy.js");
      const result = await interruptible(output, left, async () => deploy({
        ...(await deployOptions(project, database, files, io.output)),
        checkAhead: checks,
        action: { verb: "up", rehearse: flags.rehearse },
        ignoreOtherHistory: flags.ignoreOtherHistory,
        events: {
          ...shared,
          migrationStarted: (m) => {
            // Every pending file is checked by now: the second thread has nothing left to do.
            checks?.close();
            shared.migrationStarted?.(m);
            if (!flags.json) output.progress(`  ${s.cyan("→")} ${m.version} ${m.name}…`);
          },
          migrationApplied: (m, ms, risk) => {
            state.running = undefined;
            applied.push({ version: m.version, name: m.name, file: m.file, executionMs: ms, risk });
            const riskNote = risk && risk !== "low" ? ` ${(risk === "high" ? s.red : s.yellow)(`${risk} risk`)}` : "";
            if (!flags.json) output.line(`  ${s.green("✓")} ${m.version} ${m.name} ${s.dim(formatElapsed(ms))}${riskNote}`);
          },
          migrationSkipped: (m, reason) => {
            if (!flags.json) output.line(`  ${s.yellow("-")} ${m.version} ${m.name} ${s.dim(`not rehearsed: ${reason}`)}`);
          },
        },
      }));
      if (flags.json) {
        output.json({
          stack: project.settings.stack,
          tier: project.settings.tier,
          database: database.shown,
          rehearsal: result.rehearsal,
          applied: result.applied.map(({ version, name, file, executionMs, risk }) => ({ version, name, file, executionMs, risk: result.rehearsal ? null : risk })),
          skipped: result.skipped,
          version: result.head?.version ?? null,
          backupRef: result.backup?.ref ?? null,
        });
        return EXIT.ok;
      }
      const total = result.applied.reduce((sum, a) => sum + a.executionMs, 0);
      if (result.applied.length === 0 && result.skipped.length === 0) {
        output.line(`Nothing to apply: the database is up to date${result.head ? ` at ${result.head.version} (${result.head.name})` : ""}.`);
      } else if (result.rehearsal) {
        output.line(`Rehearsal passed: ${result.applied.length} migration${result.applied.length === 1 ? "" : "s"} ran in ${formatElapsed(total)} and were rolled back; nothing changed.`);
      } else {
        output.line(`Applied ${result.applied.length} migration${result.applied.length === 1 ? "" : "s"} in ${formatElapsed(total)}; the database is at ${result.head!.version} (${result.head!.name}).`);
      }
      return EXIT.ok;
    } catch (error) {
      if (!flags.json && state.running) output.line(`  ${s.red("✗")} ${state.running.version} ${state.running.name}`);
      const failure = error instanceof DbpipeError ? error : databaseFailure(error, database.shown);
      if (flags.json && failure) {
        // The object on stdout carries the error; stderr gets it too, as for every other refusal.
        printError(output, failure.message);
        output.json({
          stack: project.settings.stack,
          tier: project.settings.tier,
          database: database.shown,
          rehearsal: Boolean(flags.rehearse),
          applied,
          error: errorJson(failure),
        });
        return exitCodeOf(failure);
      }
      if (!flags.json && applied.length > 0 && error instanceof MigrationFailedError) {
        output.error(`${applied.length} migration${applied.length === 1 ? "" : "s"} ${verb} before the failure${flags.rehearse ? " (rolled back)" : applied.length === 1 ? " stays applied" : " stay applied"}.`);
      }
      throw failure ?? error;
    }
  }, (files) => checks?.submit(files.migrations));
}
