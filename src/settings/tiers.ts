/**
 * Tiers and risk levels. A stack declares its tier (`dbpipe:tier`); what each tier implies by
 * default is in the key table (`keys.ts`), and can be overridden in the stack's config within the
 * tier's limits.
 */

/** The environment tiers, least to most strict. */
export const TIERS = ["dev", "test", "prod"] as const;

/** An environment tier: dev, test or prod. A stack named `staging` declares `tier: test`. */
export type Tier = (typeof TIERS)[number];

/** Risk levels a finding or a migration can have, lowest first. */
export const RISK_LEVELS = ["low", "medium", "high"] as const;

/** A finding's or a migration's risk. */
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** A risk threshold: the lowest level a rule applies to, or `never`. */
export type RiskThreshold = RiskLevel | "never";

/** Returns true when `level` is at or above `threshold` (never when the threshold is `never`). */
export function reaches(level: RiskLevel, threshold: RiskThreshold): boolean {
  if (threshold === "never") return false;
  return RISK_LEVELS.indexOf(level) >= RISK_LEVELS.indexOf(threshold);
}

/** The higher of two risk levels. */
export function maxRisk(a: RiskLevel, b: RiskLevel): RiskLevel {
  return RISK_LEVELS.indexOf(a) >= RISK_LEVELS.indexOf(b) ? a : b;
}

/** Returns true for a string naming a tier. */
export function isTier(value: unknown): value is Tier {
  return typeof value === "string" && (TIERS as readonly string[]).includes(value);
}

/**
 * The fewest days of backup retention each tier accepts (`dbpipe:backupRetentionDays`). The tiers'
 * defaults of every key are in the key table (`keys.ts`).
 */
export const MIN_BACKUP_RETENTION_DAYS: Readonly<Record<Tier, number>> = { dev: 1, test: 7, prod: 30 };
