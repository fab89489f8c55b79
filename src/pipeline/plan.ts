import { DbpipeError } from "../errors";
import type { Migration } from "../migration";
import type { AppliedMigration, EngineOptions, PlanResult } from "../migrate/run";
import { loadFiles } from "../migrate/files";
import { reportedPlanOn } from "../migrate/verbs/plan";
import { upMigrations } from "../migrate/verbs/up";
import { withSession } from "../migrate/session";
import { type PlanReport, buildPlanReport } from "../risk/plan-report";
import { type Assessment, assess } from "./assess";

/**
 * What `up` would do, with its risk: the plan against the target's history, every file assessed
 * (the pending ones with table sizes from the target), the stack's verdict on the pending ones,
 * and, when asked, a rehearsal. Writes nothing.
 */

/** How a rehearsal went. */
export type Rehearsal =
  | { passed: true; ran: AppliedMigration[]; skipped: { version: string; reason: string }[] }
  | { passed: false; ran: AppliedMigration[]; skipped: { version: string; reason: string }[]; error: DbpipeError };

/** The plan, its assessment and its report. */
export interface PlannedRisk extends PlanResult {
  /** Every file assessed; `judged` holds the pending ones, and the verdict is theirs. */
  assessment: Assessment;
  /** The JSON report (`plan --json`). */
  report: PlanReport;
  /** The rehearsal, when one was asked for and there was something to rehearse. */
  rehearsal?: Rehearsal;
}

/**
 * Plans against the target and assesses the files. With `rehearse`, and when nothing stops `up`
 * and something is pending, also runs the pending migrations in one transaction and rolls it back.
 */
export async function planWithRisk(options: EngineOptions, run: { rehearse?: boolean } = {}): Promise<PlannedRisk> {
  const files = loadFiles(options);
  const planned = await withSession(options.databaseUrl, async (client) => {
    const result = await reportedPlanOn(client, files, options);
    // Every file is classified (each seeing what the earlier ones did); the pending ones are judged.
    const assessment = await assess({ settings: options.settings, migrations: files.migrations, pending: result.plan.pending.map((m) => m.version), client });
    return { ...result, assessment, report: buildPlanReport(result.plan, assessment.linted, assessment.verdict) };
  });
  if (!run.rehearse || planned.plan.problems.length > 0 || planned.plan.pending.length === 0) return planned;
  // What ran before a failure is told as it ran: a failed rehearsal says how far it got.
  const ran: AppliedMigration[] = [];
  const skipped: { version: string; reason: string }[] = [];
  const events = {
    ...options.events,
    migrationApplied: (m: Migration, executionMs: number) => {
      ran.push({ version: m.version, name: m.name, file: m.file, executionMs });
      options.events?.migrationApplied?.(m, executionMs);
    },
    migrationSkipped: (m: Migration, reason: string) => {
      skipped.push({ version: m.version, reason });
      options.events?.migrationSkipped?.(m, reason);
    },
  };
  try {
    await upMigrations({ ...options, events }, { rehearse: true });
    return { ...planned, rehearsal: { passed: true, ran, skipped } };
  } catch (error) {
    if (!(error instanceof DbpipeError)) throw error;
    return { ...planned, rehearsal: { passed: false, ran, skipped, error } };
  }
}
