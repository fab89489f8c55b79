import type { PolicyResource } from "@pulumi/policy";
import { UnknownValueError } from "@pulumi/policy";

/** Type tokens of the resources the pack looks at. */
export const TYPES = {
  rdsInstance: "aws:rds/instance:Instance",
  kmsKey: "aws:kms/key:Key",
  bucket: "aws:s3/bucket:Bucket",
  bucketVersioning: "aws:s3/bucketVersioning:BucketVersioning",
  bucketEncryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  bucketPublicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  bucketLifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  bucketObjectLock: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
  bucketLogging: "aws:s3/bucketLogging:BucketLogging",
  pgDatabase: "postgresql:index/database:Database",
  migrationSet: "pulumi-nodejs:dynamic/dbpipe:MigrationSet",
} as const;

/** The component type of the backup bucket, whose bucket holds the backups. */
export const BACKUP_BUCKET_COMPONENT = "dbpipe:infra:BackupBucket";

/**
 * The types of a resource's ancestors, outermost first, from its URN
 * (`urn:pulumi:<stack>::<project>::<parent types joined by $>$<type>::<name>`).
 */
export function ancestorTypes(urn: string): string[] {
  const qualified = urn.split("::")[2] ?? "";
  return qualified.split("$").slice(0, -1);
}

/** The type of a resource's parent, from its URN ("" at the top). */
export function parentType(urn: string): string {
  return ancestorTypes(urn).pop() ?? "";
}

/**
 * Reads `read(value)` and returns undefined instead when it touches a value unknown during preview
 * (the policy SDK throws for those). For checks that must not lose their verdict to an unknown.
 */
export function known<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (error instanceof UnknownValueError) return undefined;
    throw error;
  }
}

/** Resources of the stack whose `property` depends on `target` (e.g. the bucket of a BucketVersioning): known at preview, unlike the target's id. */
export function dependents(resources: readonly PolicyResource[], target: PolicyResource, type: string, property: string): PolicyResource[] {
  return resources.filter((r) => r.type === type && (r.propertyDependencies[property] ?? []).some((d) => d.urn === target.urn));
}

/**
 * The backup buckets of the stack: buckets of a backup-bucket component that are not the target of
 * another bucket's access logs (a bucket that logs into itself stays a backup bucket).
 */
export function backupBuckets(resources: readonly PolicyResource[]): PolicyResource[] {
  const logTargets = new Set(
    resources
      .filter((r) => r.type === TYPES.bucketLogging)
      .flatMap((r) => {
        const sources = new Set((r.propertyDependencies.bucket ?? []).map((d) => d.urn));
        return (r.propertyDependencies.targetBucket ?? []).map((d) => d.urn).filter((urn) => !sources.has(urn));
      }),
  );
  return resources.filter((r) => r.type === TYPES.bucket && parentType(r.urn) === BACKUP_BUCKET_COMPONENT && !logTargets.has(r.urn));
}
