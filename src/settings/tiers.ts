/**
 * Tiers (risk levels are in `risk-level.ts`). A stack declares its tier (`dbpipe:tier`); what each tier implies by
 * default is in the key table (`keys.ts`), and can be overridden in the stack's config within the
 * tier's limits.
 */

/** The environment tiers, least to most strict. */
export const TIERS = ["dev", "test", "prod"] as const;

/** An environment tier: dev, test or prod. A stack named `staging` declares `tier: test`. */
export type Tier = (typeof TIERS)[number];

/** Returns true for a string naming a tier. */
export function isTier(value: unknown): value is Tier {
  return typeof value === "string" && (TIERS as readonly string[]).includes(value);
}

/**
 * The fewest days of backup retention each tier accepts (`dbpipe:backupRetentionDays`). The tiers'
 * defaults of every key are in the key table (`keys.ts`).
 */
export const MIN_BACKUP_RETENTION_DAYS: Readonly<Record<Tier, number>> = { dev: 1, test: 7, prod: 30 };
