/**
 * Risk levels: what a finding, a migration and a stack's thresholds are measured in. A leaf module
 * (it imports nothing), shared by the classifier (`sql/`), the engine (`migrate/`), the verdict
 * (`risk/`) and the settings.
 */

/** Risk levels a finding or a migration can have, lowest first. */
export const RISK_LEVELS = ["low", "medium", "high"] as const;

/** A finding's or a migration's risk. */
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** What a risk threshold can be: the lowest level a rule applies to, or `never`. */
export const RISK_THRESHOLDS = [...RISK_LEVELS, "never"] as const;

/** A risk threshold: the lowest level a rule applies to, or `never`. */
export type RiskThreshold = (typeof RISK_THRESHOLDS)[number];

/** What `dbpipe:ruleSeverity` can give a rule: the risk of its findings, or `off`. */
export const RULE_SEVERITIES = [...RISK_LEVELS, "off"] as const;

/** A threshold's rank: low, medium, high, then `never` above every level (a higher threshold requires less). */
export function thresholdRank(threshold: RiskThreshold): number {
  return threshold === "never" ? RISK_LEVELS.length : RISK_LEVELS.indexOf(threshold);
}

/** A threshold in a sentence, before "migrations": `high-risk`, `medium- or higher-risk`, `no` for `never`. */
export function thresholdWords(threshold: RiskThreshold): string {
  if (threshold === "never") return "no";
  return threshold === "high" ? "high-risk" : `${threshold}- or higher-risk`;
}

/** Returns true when `level` is at or above `threshold` (never when the threshold is `never`). */
export function reaches(level: RiskLevel, threshold: RiskThreshold): boolean {
  return RISK_LEVELS.indexOf(level) >= thresholdRank(threshold);
}

/** A stack's risk thresholds (`dbpipe:backupBefore`, `dbpipe:requireApprovalAt`). */
export interface RiskThresholds {
  backupBefore: RiskThreshold;
  requireApprovalAt: RiskThreshold;
}

/** Whether a stack with these thresholds can ever need a backup before a migration: false for `backupBefore: never` (the dev tier's default), whose deploys need no backup store. */
export function backupCanBeRequired(thresholds: Pick<RiskThresholds, "backupBefore">): boolean {
  return reaches("high", thresholds.backupBefore);
}

/** Whether the thresholds make risk matter: if neither a backup nor an approval can be required, assessing before a run changes nothing. */
export function riskMatters(thresholds: RiskThresholds): boolean {
  return backupCanBeRequired(thresholds) || reaches("high", thresholds.requireApprovalAt);
}

/** The higher of two risk levels. */
export function maxRisk(a: RiskLevel, b: RiskLevel): RiskLevel {
  return RISK_LEVELS.indexOf(a) >= RISK_LEVELS.indexOf(b) ? a : b;
}
