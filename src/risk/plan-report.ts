import { type IntegrityProblem, type MigrationJson, type Plan, entriesJson } from "../migrate/plan";
import type { LintedMigration } from "../sql/lint";
import { type ReportMigration, type ReportVerdict, buildRiskReport } from "./report";
import type { Verdict } from "./verdict";

/**
 * The plan with its risk: every migration's status against the history, every file classified,
 * and the stack's verdict on the pending ones — what `dbpipe plan` shows and `plan --json`
 * prints. Its JSON has the risk report's shape (`dbpipe lint --format json`), each migration
 * carrying its plan status too.
 */

/** A migration in the plan report: its plan entry and its risk. */
export type PlanReportMigration = MigrationJson & Omit<ReportMigration, "version" | "name" | "checksum" | "file"> & { file: string | null };

/** The plan report (`plan --json`). */
export interface PlanReport {
  stack: string;
  tier: string;
  /** The migrations, in version order, each with its status and risk. */
  migrations: PlanReportMigration[];
  /** The stack's verdict on the pending migrations. */
  verdict: ReportVerdict;
  /** What stops `up` before the verdict is even asked (modified, missing, failed, out of order). */
  problems: IntegrityProblem[];
}

/** The report of `plan`, with every file `linted` and the `verdict` on the pending ones. */
export function buildPlanReport(plan: Plan, linted: readonly LintedMigration[], verdict: Verdict): PlanReport {
  const pendingVersions = new Set(plan.pending.map((m) => m.version));
  const risk = buildRiskReport(linted, verdict);
  const byVersion = new Map(risk.migrations.map((m) => [m.version, m]));
  const migrations = entriesJson(plan.entries).map((entry): PlanReportMigration => {
    const r = byVersion.get(entry.version);
    return {
      ...entry,
      risk: r?.risk ?? (entry.recordedRisk as PlanReportMigration["risk"]) ?? "low",
      backupRequired: r && pendingVersions.has(entry.version) ? r.backupRequired : false,
      approval: r && pendingVersions.has(entry.version) ? r.approval : "not-needed",
      findings: r?.findings ?? [],
    };
  });
  return { stack: verdict.stack, tier: verdict.tier, migrations, verdict: risk.verdict, problems: plan.problems };
}
