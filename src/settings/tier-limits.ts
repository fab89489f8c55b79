import { RISK_LEVELS, RULE_SEVERITIES, type RiskLevel, type RiskThreshold, reaches, thresholdRank, thresholdWords } from "../risk-level";
import { RULE_SEVERITY } from "../sql/rules/ids";
import { keyEntry, tierDefault } from "./keys";
import type { Tier } from "./tiers";

/**
 * How far a stack's risk settings may loosen its tier: a stack may ask for backups and approvals
 * earlier than its tier does, never later — neither by moving a threshold (`dbpipe:backupBefore`,
 * `dbpipe:requireApprovalAt`) nor by lowering the rules whose findings reach the tier's approval
 * threshold (`dbpipe:ruleSeverity`: `drop-table: low` in prod would let an unapproved DROP TABLE
 * run). One check for the stack settings parser (every command, the Pulumi program) and for the
 * MigrationSet provider, which is handed the settings by whatever program declares it.
 */

/** The risk settings the limits apply to. */
export interface TierRiskSettings {
  backupBefore: RiskThreshold;
  requireApprovalAt: RiskThreshold;
  ruleSeverity: Readonly<Record<string, RiskLevel | "off">>;
}

/** A setting beyond its tier's limit: `key` is relative to the namespace (`ruleSeverity.drop-table`). */
export interface TierLimitProblem {
  key: string;
  message: string;
}

/** The tier's own threshold for `key`: its default, which a stack may only make stricter. */
function tierThreshold(key: "backupBefore" | "requireApprovalAt", tier: Tier): RiskThreshold {
  return tierDefault(keyEntry(key), tier) as RiskThreshold;
}

/** Every setting of `risk` that loosens what `tier` requires, in key order. */
export function tierLimitProblems(tier: Tier, risk: TierRiskSettings): TierLimitProblem[] {
  const problems: TierLimitProblem[] = [];
  const backupBefore = tierThreshold("backupBefore", tier);
  if (thresholdRank(risk.backupBefore) > thresholdRank(backupBefore)) {
    problems.push({
      key: "backupBefore",
      message: `cannot be ${risk.backupBefore} in ${tier}: the tier takes a backup before every migration of ${backupBefore} risk or above (allowed: ${allowedUpTo(backupBefore)})`,
    });
  }
  const approvalAt = tierThreshold("requireApprovalAt", tier);
  if (approvalAt === "never") return problems;
  if (thresholdRank(risk.requireApprovalAt) > thresholdRank(approvalAt)) {
    problems.push({
      key: "requireApprovalAt",
      message: `cannot be ${risk.requireApprovalAt} in ${tier}: the tier refuses ${thresholdWords(approvalAt)} migrations without an approval (allowed: ${allowedUpTo(approvalAt)})`,
    });
  }
  for (const [rule, level] of Object.entries(risk.ruleSeverity)) {
    const severity = RULE_SEVERITY[rule];
    // An unknown id or level is the reader's problem to report, not this one's.
    if (severity === undefined || !(RULE_SEVERITIES as readonly string[]).includes(level)) continue;
    if (!reaches(severity, approvalAt) || (level !== "off" && reaches(level, approvalAt))) continue;
    problems.push({
      key: `ruleSeverity.${rule}`,
      message:
        `cannot be ${level} in ${tier}: ${rule} findings are ${severity} risk, and the tier refuses ${thresholdWords(approvalAt)} migrations without an approval, ` +
        `so a rule may be raised there but not lowered below ${approvalAt}; approve the migration in dbpipe:approvals instead (\`dbpipe lint\` prints the entry to add when it refuses one)`,
    });
  }
  return problems;
}

function allowedUpTo(threshold: RiskThreshold): string {
  return RISK_LEVELS.slice(0, thresholdRank(threshold) + 1).join(", ");
}
