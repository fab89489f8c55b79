import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ObjectLockMode } from "../settings/stack-settings";

/** Arguments of a {@link BackupBucket}. */
export interface BackupBucketArgs {
  /** Days a backup is kept: expiry of current objects, and the Object Lock retention. Required. */
  retentionDays: number;
  /**
   * S3 Object Lock with a default retention of `retentionDays`, through a
   * `BucketObjectLockConfiguration` alone: S3 enables Object Lock on an existing versioned bucket,
   * while the bucket's own `objectLockEnabled` input would replace the bucket (and, where it may be
   * force-destroyed, delete every backup in it). Default false.
   */
  objectLock?: boolean;
  /** Object Lock mode. Default `GOVERNANCE`. */
  objectLockMode?: ObjectLockMode;
  /** Days a replaced or deleted backup version is kept before S3 removes it. Default `retentionDays`. */
  noncurrentVersionDays?: number;
  /** Let `pulumi destroy` delete the bucket with the backups in it. Default false. */
  forceDestroy?: boolean;
  /**
   * The name AWS sees where a name must be unique in the account and is fixed by dbpipe (the KMS
   * alias, descriptions, the final snapshot): the project and the stack, e.g. `dbpipe-prod-server`.
   * Logical names leave the stack out so that `pulumi stack rename` replaces nothing. Default: `name`.
   */
  fixedName?: string;
  /**
   * S3 server access logs of the backup bucket (who read, wrote or deleted which backup, and when),
   * delivered to a logs bucket of its own. Default false.
   */
  accessLogs?: boolean;
  /** Days an access log is kept in the logs bucket. Default 365. */
  accessLogDays?: number;
  /** Tags of the buckets and the KMS key. Default none. */
  tags?: Record<string, string>;
  /** Pulumi `protect` and `retainOnDelete` on the buckets and the KMS key. Default false. */
  protect?: boolean;
}

/**
 * The environment's backup bucket, with `@pulumi/aws` v7's bucket resources (never the deprecated
 * `*V2` ones): bucket-owner-enforced ownership, all four public-access blocks, versioning, default
 * encryption with its own KMS key (and an S3 bucket key, so backups do not cost a KMS call per
 * object), a policy that refuses anything but TLS 1.2+, lifecycle rules that expire backups after the
 * retention, expire replaced versions and abort abandoned multipart uploads, and optionally Object
 * Lock so a backup cannot be deleted before its retention ends.
 *
 * With `accessLogs`, S3 server access logging of the backup bucket into a second bucket, the logs
 * bucket, as AWS recommends it: log delivery is granted by the logs bucket's policy to the
 * `logging.s3.amazonaws.com` service principal, only for the backup bucket (`aws:SourceArn`) of this
 * account (`aws:SourceAccount`), and only under the log prefix; ACLs stay disabled
 * (bucket-owner-enforced ownership, so no log-delivery ACL or target grants). The logs bucket is
 * encrypted with S3-managed keys (SSE-S3), the only default encryption log delivery supports, blocks
 * every kind of public access, refuses anything but TLS 1.2+, has neither Object Lock nor logging of
 * its own (S3 refuses an Object Lock target; logging the logs would loop), and expires logs after
 * `accessLogDays`.
 */
export class BackupBucket extends pulumi.ComponentResource {
  /** The bucket. */
  readonly bucket: aws.s3.Bucket;
  /** The bucket's KMS key. */
  readonly kmsKey: aws.kms.Key;
  /** The bucket's name. */
  readonly bucketName: pulumi.Output<string>;
  /** The bucket's ARN. */
  readonly bucketArn: pulumi.Output<string>;
  /** The bucket its access logs go to, with `accessLogs`. */
  readonly logsBucket?: aws.s3.Bucket;

  constructor(name: string, args: BackupBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dbpipe:infra:BackupBucket", name, {}, opts);
    const tags = args.tags ?? {};
    const fixedName = args.fixedName ?? name;
    const stateful = { parent: this, protect: args.protect ?? false, retainOnDelete: args.protect ?? false };
    const objectLock = args.objectLock ?? false;

    this.kmsKey = new aws.kms.Key(
      `${name}-key`,
      { description: `${fixedName}: database backups`, enableKeyRotation: true, deletionWindowInDays: 30, tags },
      stateful,
    );
    new aws.kms.Alias(`${name}-key-alias`, { name: `alias/${fixedName}`, targetKeyId: this.kmsKey.keyId }, { parent: this });

    this.bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      { forceDestroy: args.forceDestroy ?? false, tags },
      stateful,
    );
    const bucket = this.bucket.id;

    new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } }, { parent: this });
    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access-block`,
      { bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      { parent: this },
    );
    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket, versioningConfiguration: { status: "Enabled" } },
      { parent: this },
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      { bucket, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: this.kmsKey.arn }, bucketKeyEnabled: true }] },
      { parent: this },
    );
    new aws.s3.BucketPolicy(
      `${name}-policy`,
      { bucket, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: tlsOnly(this.bucket.arn) }) },
      // S3 rejects a policy while the public-access block is still being applied to a new bucket.
      { parent: this, dependsOn: [publicAccessBlock] },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket,
        rules: [
          {
            id: "expire-backups",
            status: "Enabled",
            filter: { prefix: "" },
            expiration: { days: args.retentionDays },
            noncurrentVersionExpiration: { noncurrentDays: args.noncurrentVersionDays ?? args.retentionDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
          {
            // Expiring a versioned object leaves a delete marker; once its versions are gone it is clutter.
            id: "remove-expired-delete-markers",
            status: "Enabled",
            filter: { prefix: "" },
            expiration: { expiredObjectDeleteMarker: true },
          },
        ],
      },
      // Lifecycle rules on versions need versioning first.
      { parent: this, dependsOn: [versioning] },
    );
    if (objectLock) {
      new aws.s3.BucketObjectLockConfiguration(
        `${name}-object-lock`,
        {
          bucket,
          objectLockEnabled: "Enabled",
          rule: { defaultRetention: { mode: args.objectLockMode ?? "GOVERNANCE", days: args.retentionDays } },
        },
        { parent: this, dependsOn: [versioning] },
      );
    }

    if (args.accessLogs) {
      this.logsBucket = this.accessLogs(name, args, stateful);
    }

    this.bucketName = this.bucket.bucket;
    this.bucketArn = this.bucket.arn;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
  }

  /** The logs bucket, its settings, and the backup bucket's logging into it. */
  private accessLogs(name: string, args: BackupBucketArgs, stateful: pulumi.CustomResourceOptions): aws.s3.Bucket {
    const logs = new aws.s3.Bucket(`${name}-logs`, { forceDestroy: args.forceDestroy ?? false, tags: args.tags ?? {} }, stateful);
    const bucket = logs.id;
    // ACLs disabled: log delivery is granted by the bucket policy alone, as AWS recommends.
    const ownership = new aws.s3.BucketOwnershipControls(`${name}-logs-ownership`, { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } }, { parent: this });
    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
      `${name}-logs-public-access-block`,
      { bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      { parent: this },
    );
    // Server access log delivery supports SSE-S3 only as the target's default encryption (not SSE-KMS).
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-logs-encryption`,
      { bucket, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
      { parent: this },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-logs-lifecycle`,
      {
        bucket,
        rules: [
          {
            id: "expire-access-logs",
            status: "Enabled",
            filter: { prefix: "" },
            expiration: { days: args.accessLogDays ?? 365 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
      },
      { parent: this },
    );
    // The account that owns the backups, from the KMS key's ARN (arn:aws:kms:<region>:<account>:key/<id>).
    const account = this.kmsKey.arn.apply((arn) => arn.split(":")[4]);
    const policy = new aws.s3.BucketPolicy(
      `${name}-logs-policy`,
      {
        bucket,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "S3ServerAccessLogsPolicy",
              Effect: "Allow",
              Principal: { Service: "logging.s3.amazonaws.com" },
              Action: "s3:PutObject",
              Resource: pulumi.interpolate`${logs.arn}/${ACCESS_LOG_PREFIX}*`,
              Condition: { ArnLike: { "aws:SourceArn": this.bucket.arn }, StringEquals: { "aws:SourceAccount": account } },
            },
            ...tlsOnly(logs.arn),
          ],
        }),
      },
      { parent: this, dependsOn: [publicAccessBlock] },
    );
    new aws.s3.BucketLogging(
      `${name}-logging`,
      {
        bucket: this.bucket.id,
        targetBucket: logs.id,
        targetPrefix: ACCESS_LOG_PREFIX,
        // <prefix><account>/<region>/<bucket>/<yyyy>/<mm>/<dd>/…: one folder per day, by the time of the request.
        targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: "EventTime" } },
      },
      // Delivery starts once the logs bucket grants it.
      { parent: this, dependsOn: [policy, ownership] },
    );
    return logs;
  }
}

/** Where in the logs bucket the backup bucket's access logs go. */
export const ACCESS_LOG_PREFIX = "access-logs/";

/** Bucket policy statements that refuse any request to `arn` (and its objects) without TLS 1.2 or later. */
function tlsOnly(arn: pulumi.Output<string>): Record<string, unknown>[] {
  const Resource = [arn, pulumi.interpolate`${arn}/*`];
  return [
    { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource, Condition: { Bool: { "aws:SecureTransport": "false" } } },
    { Sid: "DenyOutdatedTls", Effect: "Deny", Principal: "*", Action: "s3:*", Resource, Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } } },
  ];
}
