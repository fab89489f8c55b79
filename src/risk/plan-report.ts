import type { EngineOptions, PlanResult } from "../migrate/engine";
import { loadFiles } from "../migrate/engine";
import { readHistory } from "../migrate/history";
import { type IntegrityProblem, type MigrationJson, buildPlan, entriesJson } from "../migrate/plan";
import { withSession } from "../migrate/session";
import { type LintedMigration, applyTableSizes, lintMigrations, lintOptionsFor } from "../sql/lint";
import { tableRowsLookup } from "../sql/table-sizes";
import { type ReportMigration, type ReportVerdict, buildRiskReport } from "./report";
import { type Verdict, computeVerdict } from "./verdict";

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

/** The plan, the linted files and the verdict. */
export interface PlannedRisk extends PlanResult {
  /** Every file, classified (each sees what the earlier ones did to the schema). */
  linted: LintedMigration[];
  /** The pending ones, classified with table sizes from the target. */
  pendingLinted: LintedMigration[];
  /** The verdict on the pending ones. */
  verdict: Verdict;
  /** The JSON report. */
  report: PlanReport;
}

/** Builds the plan with its risk, reading the target's history and table sizes; writes nothing. */
export async function planWithRisk(options: EngineOptions): Promise<PlannedRisk> {
  const files = loadFiles(options);
  const settings = options.settings;
  return withSession(options.databaseUrl, async (client) => {
    const history = await readHistory(client);
    const plan = buildPlan(files.migrations, history, { outOfOrder: settings.migrations.outOfOrder });
    const linted = await lintMigrations(files.migrations, lintOptionsFor(settings));
    const pendingVersions = new Set(plan.pending.map((m) => m.version));
    const pendingLinted = linted.filter((m) => pendingVersions.has(m.version));
    // Table sizes matter for what is about to run, not for what ran long ago.
    await applyTableSizes(pendingLinted, tableRowsLookup(client), settings.risk.largeTableRows);
    const verdict = computeVerdict(pendingLinted, settings);
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
    return {
      ...files,
      history,
      plan,
      linted,
      pendingLinted,
      verdict,
      report: { stack: settings.stack, tier: settings.tier, migrations, verdict: risk.verdict, problems: plan.problems },
    };
  });
}
