import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { analysedStack } from "./analysed-stack";
import { TYPES } from "./resources";

/**
 * Database policies: what a prod RDS instance must be, and Pulumi `protect` on everything prod must
 * keep. Policies cannot see a planned deletion or replacement; the engine refuses both on a
 * protected resource, which is why `protect` is required rather than hoped for. Every rule reads
 * values the program knows at preview time (config-driven inputs and resource options), so the
 * verdict of `pulumi preview` is the verdict of `pulumi up`.
 */

/** RDS keeps automated backups for at most this many days. */
const RDS_MAX_BACKUP_RETENTION_DAYS = 35;

/** Runs `check` on RDS instances of a prod stack. */
function prodRdsInstance(check: (props: Record<string, unknown>, report: ReportViolation) => void) {
  return (args: ResourceValidationArgs, report: ReportViolation): void => {
    if (args.type !== TYPES.rdsInstance || analysedStack().tier !== "prod") return;
    check(args.props as Record<string, unknown>, report);
  };
}

/** `rds-instance-deletion-protection`: a prod RDS instance has deletion protection. */
export const rdsInstanceDeletionProtection: ResourceValidationPolicy = {
  name: "rds-instance-deletion-protection",
  description: "A prod RDS instance cannot be deleted by one API call.",
  validateResource: prodRdsInstance((props, report) => {
    if (props.deletionProtection !== true) report("RDS instance must have deletion protection in prod.");
  }),
};

/** `rds-instance-final-snapshot`: deleting a prod RDS instance leaves a final snapshot. */
export const rdsInstanceFinalSnapshot: ResourceValidationPolicy = {
  name: "rds-instance-final-snapshot",
  description: "Deleting a prod RDS instance leaves a final snapshot.",
  // skipFinalSnapshot comes from config; the snapshot's name holds a random suffix unknown at a first preview.
  validateResource: prodRdsInstance((props, report) => {
    if (props.skipFinalSnapshot !== false) report("RDS instance must keep a final snapshot in prod (skipFinalSnapshot false).");
  }),
};

/** `rds-instance-storage-encrypted`: a prod RDS instance's storage is encrypted. */
export const rdsInstanceStorageEncrypted: ResourceValidationPolicy = {
  name: "rds-instance-storage-encrypted",
  description: "A prod RDS instance's storage, backups and snapshots are encrypted.",
  validateResource: prodRdsInstance((props, report) => {
    if (props.storageEncrypted !== true) report("RDS instance must have encrypted storage in prod.");
  }),
};

/** `rds-instance-not-public`: a prod RDS instance has no public address. */
export const rdsInstanceNotPublic: ResourceValidationPolicy = {
  name: "rds-instance-not-public",
  description: "A prod RDS instance is reachable only from inside its VPC.",
  validateResource: prodRdsInstance((props, report) => {
    if (props.publiclyAccessible === true) report("RDS instance must not be publicly accessible in prod.");
  }),
};

/** `rds-instance-backup-retention`: a prod RDS instance keeps automated backups at least as long as the tier requires. */
export const rdsInstanceBackupRetention: ResourceValidationPolicy = {
  name: "rds-instance-backup-retention",
  description: "A prod RDS instance keeps automated backups for the stack's backup retention (at most RDS's 35 days).",
  validateResource: prodRdsInstance((props, report) => {
    const required = Math.min(analysedStack().backupRetentionDays, RDS_MAX_BACKUP_RETENTION_DAYS);
    const actual = typeof props.backupRetentionPeriod === "number" ? props.backupRetentionPeriod : 0;
    if (actual < required) report(`RDS instance must keep automated backups for at least ${required} days in prod (backupRetentionPeriod is ${actual}).`);
  }),
};

/** `rds-instance-multi-az`: a prod RDS instance has a standby in another availability zone. */
export const rdsInstanceMultiAz: ResourceValidationPolicy = {
  name: "rds-instance-multi-az",
  description: "A prod RDS instance survives the loss of an availability zone.",
  validateResource: prodRdsInstance((props, report) => {
    if (props.multiAz !== true) report("RDS instance must be Multi-AZ in prod.");
  }),
};

/** What prod must keep, by type, for messages. */
const STATEFUL: Readonly<Record<string, string>> = {
  [TYPES.rdsInstance]: "RDS instance",
  [TYPES.pgDatabase]: "Database",
  [TYPES.bucket]: "S3 bucket",
  [TYPES.kmsKey]: "KMS key",
};

/** `stateful-resource-protected`: in prod the server, the database, the buckets and the KMS keys have Pulumi `protect`. */
export const statefulResourceProtected: ResourceValidationPolicy = {
  name: "stateful-resource-protected",
  description: "In prod the server, the database, the buckets and their KMS keys have Pulumi protect, so the engine refuses to delete or replace them.",
  validateResource: (args, report) => {
    const what = STATEFUL[args.type];
    if (what === undefined || analysedStack().tier !== "prod") return;
    if (args.opts.protect !== true) report(`${what} ${args.name} must have Pulumi protect in prod.`);
  },
};

/** The database policies, in the order the pack lists them. */
export const databasePolicies: ResourceValidationPolicy[] = [
  rdsInstanceDeletionProtection,
  rdsInstanceFinalSnapshot,
  rdsInstanceStorageEncrypted,
  rdsInstanceNotPublic,
  rdsInstanceBackupRetention,
  rdsInstanceMultiAz,
  statefulResourceProtected,
];
