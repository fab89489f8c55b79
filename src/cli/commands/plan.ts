import { Command } from "commander";
import { EXIT, type ExitCode, exitCodeOf } from "../exit-codes";
import { formatElapsed } from "../../text/duration";
import { formatText } from "../format/text";
import type { RegisterCommand } from "../command-io";
import { type ProjectFlags, addDatabaseOption, addIgnoreOtherHistoryOption, addJsonOption, addProjectOptions, engineOptions, openProject, withMigrationsAndDatabase } from "../project";
import { errorJson, printEntries, printProblems, summaryLine } from "../render";

interface PlanFlags extends ProjectFlags {
  rehearse?: boolean;
  ignoreOtherHistory?: boolean;
}

/**
 * `dbpipe plan`: what `up` would do — every migration's status, the pending ones' findings, and the
 * stack's verdict. Exit 0 when `up` may run, 1 when the stack refuses, 2 when the history does not
 * match the files (or another tool's history is there and dbpipe has none), 3 when the rehearsal fails.
 */
export const register: RegisterCommand = (program, io) => {
  const command = new Command("plan")
    .description("show what `up` would apply, each pending migration's risk and findings, and the stack's verdict")
    .option("--rehearse", "also run the pending migrations in one transaction and roll it back, reporting what would fail");
  addJsonOption(addIgnoreOtherHistoryOption(addDatabaseOption(addProjectOptions(command)), "plan"));
  command.action(
    io.run(async (flags: PlanFlags) => {
      const project = openProject(flags);
      const { output } = io;
      const s = output.style;
      return withMigrationsAndDatabase(project, flags, async (database, files): Promise<ExitCode> => {
        const { planWithRisk } = await import("../../pipeline/plan.js");
        const planned = await planWithRisk({ ...engineOptions(project, database, files), ignoreOtherHistory: flags.ignoreOtherHistory }, { rehearse: flags.rehearse });
        const { plan, report } = planned;
        const { verdict } = planned.assessment;
        let code: ExitCode = plan.problems.length > 0 ? EXIT.invalidInput : verdict.allowed ? EXIT.ok : EXIT.refused;
        const rehearsal = planned.rehearsal && (planned.rehearsal.passed ? planned.rehearsal : { passed: false, ran: planned.rehearsal.ran, skipped: planned.rehearsal.skipped, error: errorJson(planned.rehearsal.error) });
        if (planned.rehearsal && !planned.rehearsal.passed && code === EXIT.ok) code = exitCodeOf(planned.rehearsal.error);

        if (flags.json) {
          output.json({ ...report, database: database.shown, layout: planned.layout, ...(rehearsal ? { rehearsal } : {}) });
          return code;
        }
        output.line(`dbpipe plan · stack ${s.bold(project.settings.stack)} (tier ${project.settings.tier}) · ${database.shown}`);
        output.line();
        printEntries(output, plan.entries);
        output.line();
        output.line(summaryLine(plan.entries));
        if (plan.problems.length > 0) {
          output.line();
          output.line(s.red("`up` would stop before applying anything:"));
          printProblems(output, plan.problems);
          return code;
        }
        if (plan.pending.length === 0) {
          output.line("Nothing to apply.");
          return code;
        }
        output.line();
        output.line(s.bold(`Pending (${plan.pending.length}):`));
        for (const line of formatText(planned.assessment.judged, verdict, s)) output.line(line);
        if (rehearsal) {
          output.line();
          if (rehearsal.passed) {
            const total = rehearsal.ran.reduce((sum, r) => sum + r.executionMs, 0);
            output.line(`Rehearsal: ${s.green("passed")} — ${rehearsal.ran.length} migration(s) ran in ${formatElapsed(total)} and were rolled back; nothing changed.`);
            for (const skipped of rehearsal.skipped) output.line(`  ${skipped.version}: not rehearsed: ${skipped.reason}`);
          } else {
            output.line(`Rehearsal: ${s.red("failed")} — ${String(rehearsal.error?.message ?? "")}`);
          }
        }
        return code;
      });
    }),
  );
  program.addCommand(command);
};
