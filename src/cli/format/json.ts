import { type RiskReport, buildRiskReport } from "../../risk/report";
import type { Verdict } from "../../risk/verdict";
import type { LintedMigration } from "../../sql/lint";

/** `--format json`: the risk report, the same shape `dbpipe plan --json` carries. */
export function formatJson(migrations: readonly LintedMigration[], verdict: Verdict): RiskReport {
  return buildRiskReport(migrations, verdict);
}
