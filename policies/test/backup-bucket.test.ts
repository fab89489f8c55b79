import { beforeEach, describe, expect, it } from "vitest";
import {
  backupBucketAccessLogging,
  backupBucketEncryption,
  backupBucketLifecycleRetention,
  backupBucketObjectLock,
  backupBucketPolicies,
  backupBucketPublicAccessBlock,
  backupBucketVersioning,
} from "../backup-bucket";
import { BACKUP_BUCKET_COMPONENT, TYPES } from "../resources";
import { type TestResource, UNKNOWN, analyse, stackViolations } from "./policy-args";

const PARENTS = ["dbpipe:infra:DatabaseEnvironment", BACKUP_BUCKET_COMPONENT];
const BUCKET = "app-prod-backups-bucket";
const LOGS = "app-prod-backups-logs";

/** One settings resource of the backup bucket: its `bucket` is the bucket's id, unknown at a first preview. */
function setting(type: string, name: string, inputs: Record<string, unknown>): TestResource {
  return { type, name, parents: PARENTS, inputs: { bucket: UNKNOWN, ...inputs }, propertyDependencies: { bucket: [BUCKET] } };
}

/** The prod backup bucket as the program declares it, with `change` applied by resource name (null removes one). */
function backupBucket(change: Record<string, Record<string, unknown> | null> = {}): TestResource[] {
  const resources: TestResource[] = [
    { type: TYPES.bucket, name: BUCKET, parents: PARENTS, protect: true, inputs: { forceDestroy: false } },
    { type: TYPES.bucket, name: LOGS, parents: PARENTS, protect: true, inputs: { forceDestroy: false } },
    setting(TYPES.bucketVersioning, "versioning", { versioningConfiguration: { status: "Enabled" } }),
    setting(TYPES.bucketEncryption, "encryption", { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: UNKNOWN }, bucketKeyEnabled: true }] }),
    setting(TYPES.bucketPublicAccessBlock, "public-access-block", { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }),
    setting(TYPES.bucketLifecycle, "lifecycle", {
      rules: [
        { id: "expire-backups", status: "Enabled", filter: { prefix: "" }, expiration: { days: 30 }, noncurrentVersionExpiration: { noncurrentDays: 7 } },
        { id: "remove-expired-delete-markers", status: "Enabled", filter: { prefix: "" }, expiration: { expiredObjectDeleteMarker: true } },
      ],
    }),
    setting(TYPES.bucketObjectLock, "object-lock", { objectLockEnabled: "Enabled", rule: { defaultRetention: { mode: "GOVERNANCE", days: 30 } } }),
    { ...setting(TYPES.bucketLogging, "logging", { targetBucket: UNKNOWN, targetPrefix: "s3/" }), propertyDependencies: { bucket: [BUCKET], targetBucket: [LOGS] } },
  ];
  return resources
    .filter((r) => change[r.name] !== null)
    .map((r) => (change[r.name] ? { ...r, inputs: { ...r.inputs, ...change[r.name] } } : r));
}

describe("backup bucket policies in prod", () => {
  beforeEach(() => analyse("prod"));

  it("pass the bucket the program declares (the logs bucket is not a backup bucket)", async () => {
    for (const policy of backupBucketPolicies) expect(await stackViolations(policy, "prod", backupBucket()), policy.name).toEqual([]);
  });

  it("refuse suspended versioning, and none", async () => {
    const message = ["Backup bucket must have versioning enabled."];
    expect(await stackViolations(backupBucketVersioning, "prod", backupBucket({ versioning: { versioningConfiguration: { status: "Suspended" } } }))).toEqual(message);
    expect(await stackViolations(backupBucketVersioning, "prod", backupBucket({ versioning: null }))).toEqual(message);
  });

  it("refuse a bucket without default encryption", async () => {
    expect(await stackViolations(backupBucketEncryption, "prod", backupBucket({ encryption: null }))).toEqual([
      "Backup bucket must have default encryption (aws:kms or AES256).",
    ]);
  });

  it("refuse a public-access block that lets one kind through", async () => {
    expect(await stackViolations(backupBucketPublicAccessBlock, "prod", backupBucket({ "public-access-block": { restrictPublicBuckets: false } }))).toEqual([
      "Backup bucket must block every kind of public access (restrictPublicBuckets not true).",
    ]);
  });

  it("refuse backups that expire before the tier's retention, or after it", async () => {
    const rules = (days: number) => ({ rules: [{ id: "expire-backups", status: "Enabled", expiration: { days } }] });
    expect(await stackViolations(backupBucketLifecycleRetention, "prod", backupBucket({ lifecycle: rules(7) }))).toEqual([
      "Backup bucket must expire backups after exactly 30 days, the stack's backup retention (found: 7).",
    ]);
    expect(await stackViolations(backupBucketLifecycleRetention, "prod", backupBucket({ lifecycle: rules(90) }))).toEqual([
      "Backup bucket must expire backups after exactly 30 days, the stack's backup retention (found: 90).",
    ]);
  });

  it("refuse a bucket without Object Lock", async () => {
    const message = ["Backup bucket must have S3 Object Lock with a default retention of at least 30 days in prod."];
    expect(await stackViolations(backupBucketObjectLock, "prod", backupBucket({ "object-lock": null }))).toEqual(message);
    expect(await stackViolations(backupBucketObjectLock, "prod", backupBucket({ "object-lock": { rule: { defaultRetention: { mode: "GOVERNANCE", days: 7 } } } }))).toEqual(message);
  });

  it("refuse a bucket without access logging", async () => {
    expect(await stackViolations(backupBucketAccessLogging, "prod", backupBucket({ logging: null, [LOGS]: null }))).toEqual(["Backup bucket must have S3 access logging in prod."]);
  });

  it("pass access logs into an existing bucket named in the program", async () => {
    const named = backupBucket({ [LOGS]: null }).map((r) => (r.name === "logging" ? { ...r, inputs: { ...r.inputs, targetBucket: "audit-logs-123456789012" }, propertyDependencies: { bucket: [BUCKET] } } : r));
    expect(await stackViolations(backupBucketAccessLogging, "prod", named)).toEqual([]);
  });

  it("refuse a bucket that logs into itself, and still check it as a backup bucket", async () => {
    const itself = backupBucket({ [LOGS]: null, versioning: null }).map((r) => (r.name === "logging" ? { ...r, propertyDependencies: { bucket: [BUCKET], targetBucket: [BUCKET] } } : r));
    expect(await stackViolations(backupBucketAccessLogging, "prod", itself)).toEqual([
      "Backup bucket must write its access logs to another bucket, not to itself (each log delivery would be logged again).",
    ]);
    expect(await stackViolations(backupBucketVersioning, "prod", itself)).toEqual(["Backup bucket must have versioning enabled."]);
  });
});

describe("backup bucket policies in dev", () => {
  beforeEach(() => analyse("dev"));

  it("ask for dev's 7-day retention and neither Object Lock nor access logging", async () => {
    const dev = backupBucket({ lifecycle: { rules: [{ id: "expire-backups", status: "Enabled", expiration: { days: 7 } }] }, [BUCKET]: { objectLockEnabled: false }, "object-lock": null, logging: null, [LOGS]: null });
    for (const policy of backupBucketPolicies) expect(await stackViolations(policy, "dev", dev), policy.name).toEqual([]);
    expect(await stackViolations(backupBucketLifecycleRetention, "dev", backupBucket())).toEqual([
      "Backup bucket must expire backups after exactly 7 days, the stack's backup retention (found: 30).",
    ]);
  });

  it("still refuse a bucket without versioning", async () => {
    expect(await stackViolations(backupBucketVersioning, "dev", backupBucket({ versioning: null }))).toEqual(["Backup bucket must have versioning enabled."]);
  });
});
