/**
 * Tiers and what each one implies by default. A stack declares its tier (`dbpipe:tier`); every
 * default below can be overridden in the stack's config, within the tier's limits.
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

/** The stricter of two tiers (prod over test over dev). */
export function stricterTier(a: Tier, b: Tier): Tier {
  return TIERS.indexOf(a) >= TIERS.indexOf(b) ? a : b;
}

/** Returns true for a string naming a tier. */
export function isTier(value: unknown): value is Tier {
  return typeof value === "string" && (TIERS as readonly string[]).includes(value);
}

/** What a tier implies when its stack does not say otherwise. */
export interface TierDefaults {
  /** `SET lock_timeout` for every migration, in milliseconds (0 = no limit). */
  lockTimeoutMs: number;
  /** `SET statement_timeout` for every migration, in milliseconds (0 = no limit). */
  statementTimeoutMs: number;
  /** The lowest migration risk that needs a pre-migration backup. */
  backupBefore: RiskThreshold;
  /** The lowest migration risk that is refused unless approved in the stack's config. */
  requireApprovalAt: RiskThreshold;
  /** Days backups are kept, in the backup bucket and as RDS automated backups. */
  backupRetentionDays: number;
  /** The fewest backup retention days the tier accepts. */
  minBackupRetentionDays: number;
  /** RDS deletion protection. */
  deletionProtection: boolean;
  /** RDS Multi-AZ deployment. */
  multiAz: boolean;
  /** RDS final snapshot when the instance is deleted. */
  finalSnapshot: boolean;
  /** RDS Performance Insights. */
  performanceInsights: boolean;
  /** RDS instance class. */
  instanceClass: string;
  /** RDS allocated storage, in GiB. */
  allocatedStorageGb: number;
  /** RDS storage autoscaling ceiling, in GiB. */
  maxAllocatedStorageGb: number;
  /** Pulumi `protect` on the server, database, backup bucket and their KMS keys. */
  protectResources: boolean;
  /** S3 Object Lock on the backup bucket, with a default retention of `backupRetentionDays`. */
  backupObjectLock: boolean;
}

/** The defaults of each tier: what platform teams run today. */
export const TIER_DEFAULTS: Readonly<Record<Tier, Readonly<TierDefaults>>> = {
  dev: {
    lockTimeoutMs: 30_000,
    statementTimeoutMs: 0,
    backupBefore: "never",
    requireApprovalAt: "never",
    backupRetentionDays: 7,
    minBackupRetentionDays: 1,
    deletionProtection: false,
    multiAz: false,
    finalSnapshot: false,
    performanceInsights: false,
    instanceClass: "db.t4g.micro",
    allocatedStorageGb: 20,
    maxAllocatedStorageGb: 100,
    protectResources: false,
    backupObjectLock: false,
  },
  test: {
    lockTimeoutMs: 10_000,
    statementTimeoutMs: 30 * 60_000,
    backupBefore: "high",
    requireApprovalAt: "never",
    backupRetentionDays: 14,
    minBackupRetentionDays: 7,
    deletionProtection: false,
    multiAz: false,
    finalSnapshot: false,
    performanceInsights: true,
    instanceClass: "db.t4g.small",
    allocatedStorageGb: 50,
    maxAllocatedStorageGb: 200,
    protectResources: false,
    backupObjectLock: false,
  },
  prod: {
    lockTimeoutMs: 5_000,
    statementTimeoutMs: 30 * 60_000,
    backupBefore: "medium",
    requireApprovalAt: "high",
    backupRetentionDays: 30,
    minBackupRetentionDays: 30,
    deletionProtection: true,
    multiAz: true,
    finalSnapshot: true,
    performanceInsights: true,
    instanceClass: "db.m6g.large",
    allocatedStorageGb: 100,
    maxAllocatedStorageGb: 1000,
    protectResources: true,
    backupObjectLock: true,
  },
};
