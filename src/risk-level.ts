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

/** Returns true when `level` is at or above `threshold` (never when the threshold is `never`). */
export function reaches(level: RiskLevel, threshold: RiskThreshold): boolean {
  if (threshold === "never") return false;
  return RISK_LEVELS.indexOf(level) >= RISK_LEVELS.indexOf(threshold);
}

/** The higher of two risk levels. */
export function maxRisk(a: RiskLevel, b: RiskLevel): RiskLevel {
  return RISK_LEVELS.indexOf(a) >= RISK_LEVELS.indexOf(b) ? a : b;
}
