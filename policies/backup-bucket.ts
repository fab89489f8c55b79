import type { PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { analysedStack } from "./analysed-stack";
import { TYPES, backupBuckets, dependents, known } from "./resources";

/**
 * Backup bucket policies. S3 settings live in resources of their own (BucketVersioning,
 * BucketLifecycleConfiguration, ...) that name the bucket by its id, which a first preview does not
 * know; they are matched to their bucket through the property dependency the engine records for
 * their `bucket` input, which it always knows. So each rule is a stack policy.
 */

/** Runs `check` on every backup bucket with the stack's resources, in the tiers given. */
function eachBackupBucket(
  tiers: readonly string[],
  check: (bucket: PolicyResource, resources: readonly PolicyResource[], report: (message: string) => void) => void,
) {
  return (args: StackValidationArgs, report: ReportViolation): void => {
    if (!tiers.includes(analysedStack().tier)) return;
    for (const bucket of backupBuckets(args.resources)) check(bucket, args.resources, (message) => report(message, bucket.urn));
  };
}

const ALL_TIERS = ["dev", "test", "prod"] as const;

/** The settings resources of `type` that configure `bucket`. */
function settingsOf(resources: readonly PolicyResource[], bucket: PolicyResource, type: string): PolicyResource[] {
  return dependents(resources, bucket, type, "bucket");
}

/** `backup-bucket-versioning`: a replaced or deleted backup stays recoverable. */
export const backupBucketVersioning: StackValidationPolicy = {
  name: "backup-bucket-versioning",
  description: "The backup bucket keeps replaced and deleted objects as versions.",
  validateStack: eachBackupBucket(ALL_TIERS, (bucket, resources, report) => {
    const enabled = settingsOf(resources, bucket, TYPES.bucketVersioning).some(
      (v) => (v.props.versioningConfiguration as { status?: string } | undefined)?.status === "Enabled",
    );
    if (!enabled) report("Backup bucket must have versioning enabled.");
  }),
};

/** Server-side encryption algorithms S3 accepts as default encryption. */
const SSE_ALGORITHMS = ["aws:kms", "aws:kms:dsse", "AES256"];

/** `backup-bucket-encryption`: backups are encrypted at rest by default. */
export const backupBucketEncryption: StackValidationPolicy = {
  name: "backup-bucket-encryption",
  description: "Every object written to the backup bucket is encrypted at rest.",
  validateStack: eachBackupBucket(ALL_TIERS, (bucket, resources, report) => {
    const encrypted = settingsOf(resources, bucket, TYPES.bucketEncryption).some((e) =>
      ((e.props.rules as { applyServerSideEncryptionByDefault?: { sseAlgorithm?: string } }[] | undefined) ?? []).some((rule) =>
        SSE_ALGORITHMS.includes(rule.applyServerSideEncryptionByDefault?.sseAlgorithm ?? ""),
      ),
    );
    if (!encrypted) report("Backup bucket must have default encryption (aws:kms or AES256).");
  }),
};

/** The four settings of an S3 public-access block. */
const PUBLIC_ACCESS_BLOCKS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

/** `backup-bucket-public-access-block`: nothing makes the backups public. */
export const backupBucketPublicAccessBlock: StackValidationPolicy = {
  name: "backup-bucket-public-access-block",
  description: "The backup bucket blocks public ACLs and public policies, and ignores any that exist.",
  validateStack: eachBackupBucket(ALL_TIERS, (bucket, resources, report) => {
    const blocks = settingsOf(resources, bucket, TYPES.bucketPublicAccessBlock);
    const missing = PUBLIC_ACCESS_BLOCKS.filter((key) => !blocks.some((b) => b.props[key] === true));
    if (missing.length > 0) report(`Backup bucket must block every kind of public access (${missing.join(", ")} not true).`);
  }),
};

interface LifecycleRule {
  status?: string;
  expiration?: { days?: number };
}

/** `backup-bucket-lifecycle-retention`: backups expire exactly when the stack's retention says. */
export const backupBucketLifecycleRetention: StackValidationPolicy = {
  name: "backup-bucket-lifecycle-retention",
  description: "The backup bucket expires backups after the stack's backup retention: not sooner (lost backups), not later (kept data).",
  validateStack: eachBackupBucket(ALL_TIERS, (bucket, resources, report) => {
    const days = analysedStack().backupRetentionDays;
    const expirations = settingsOf(resources, bucket, TYPES.bucketLifecycle)
      .flatMap((l) => (l.props.rules as LifecycleRule[] | undefined) ?? [])
      .filter((rule) => rule.status === "Enabled" && typeof rule.expiration?.days === "number")
      .map((rule) => rule.expiration?.days as number);
    if (expirations.length !== 1 || expirations[0] !== days) {
      const found = expirations.length === 0 ? "none" : expirations.join(", ");
      report(`Backup bucket must expire backups after exactly ${days} days, the stack's backup retention (found: ${found}).`);
    }
  }),
};

/** `backup-bucket-object-lock`: in prod a backup cannot be deleted before its retention ends. */
export const backupBucketObjectLock: StackValidationPolicy = {
  name: "backup-bucket-object-lock",
  description: "In prod the backup bucket has S3 Object Lock with a default retention of the stack's backup retention.",
  validateStack: eachBackupBucket(["prod"], (bucket, resources, report) => {
    const days = analysedStack().backupRetentionDays;
    // Object Lock is enabled by the BucketObjectLockConfiguration (S3 enables it on an existing
    // bucket); the bucket's own objectLockEnabled would replace the bucket, so it is not required.
    const locked =
      settingsOf(resources, bucket, TYPES.bucketObjectLock).some((l) => {
        if ((l.props.objectLockEnabled ?? "Enabled") !== "Enabled") return false;
        const rule = l.props.rule as { defaultRetention?: { days?: number; years?: number } } | undefined;
        const retention = rule?.defaultRetention;
        return (retention?.days ?? 0) >= days || (retention?.years ?? 0) * 365 >= days;
      });
    if (!locked) report(`Backup bucket must have S3 Object Lock with a default retention of at least ${days} days in prod.`);
  }),
};

/** `backup-bucket-access-logging`: in prod every access to the backups is logged. */
export const backupBucketAccessLogging: StackValidationPolicy = {
  name: "backup-bucket-access-logging",
  description: "In prod the backup bucket writes S3 server access logs to another bucket.",
  validateStack: eachBackupBucket(["prod"], (bucket, resources, report) => {
    const loggings = settingsOf(resources, bucket, TYPES.bucketLogging);
    // The target is a bucket of the stack (its id, unknown at a first preview, but the dependency is
    // known) or an existing bucket named in the program.
    const targets = loggings.map((l) => ({
      declared: (l.propertyDependencies.targetBucket ?? []).filter((d) => d.type === TYPES.bucket).map((d) => d.urn),
      named: known(() => typeof l.props.targetBucket === "string") === true,
    }));
    if (targets.some((t) => t.declared.includes(bucket.urn))) {
      report("Backup bucket must write its access logs to another bucket, not to itself (each log delivery would be logged again).");
    } else if (!targets.some((t) => t.declared.length > 0 || t.named)) {
      report("Backup bucket must have S3 access logging in prod.");
    }
  }),
};

/** The backup bucket policies, in the order the pack lists them. */
export const backupBucketPolicies: StackValidationPolicy[] = [
  backupBucketVersioning,
  backupBucketEncryption,
  backupBucketPublicAccessBlock,
  backupBucketLifecycleRetention,
  backupBucketObjectLock,
  backupBucketAccessLogging,
];
