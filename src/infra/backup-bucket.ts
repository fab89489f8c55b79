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
  /** Tags of the bucket and its KMS key. Default none. */
  tags?: Record<string, string>;
  /** Pulumi `protect` and `retainOnDelete` on the bucket and its KMS key. Default false. */
  protect?: boolean;
}

/**
 * The environment's backup bucket, with `@pulumi/aws` v7's bucket resources (never the deprecated
 * `*V2` ones): bucket-owner-enforced ownership, all four public-access blocks, versioning, default
 * encryption with its own KMS key (and an S3 bucket key, so backups do not cost a KMS call per
 * object), a policy that refuses anything but TLS 1.2+, lifecycle rules that expire backups after the
 * retention, expire replaced versions and abort abandoned multipart uploads, and optionally Object
 * Lock so a backup cannot be deleted before its retention ends.
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
      {
        bucket,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "DenyInsecureTransport",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: [this.bucket.arn, pulumi.interpolate`${this.bucket.arn}/*`],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
            {
              Sid: "DenyOutdatedTls",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: [this.bucket.arn, pulumi.interpolate`${this.bucket.arn}/*`],
              Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } },
            },
          ],
        }),
      },
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

    this.bucketName = this.bucket.bucket;
    this.bucketArn = this.bucket.arn;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
  }
}
