import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newEnvironment } from "../../src/settings/env-new";
import { readStackFile } from "../../src/settings/stack-file";
import { PROJECT_DIR, engineConfig } from "./helpers/engine-config";
import { TIER_EXPECTATIONS, isTaggable, parentType, shape } from "./helpers/expectations";
import { MIGRATION_SET_TYPE } from "./migration-set-harness";
import { MASTER_PASSWORD, type Recorder, isSecretValue, plainPasswords, unwrap } from "./helpers/pulumi-mocks";
import { type MockedRun, firstRunError, loadProgram, resolve, runWithMocks } from "./helpers/run-with-mocks";

/**
 * The program under Pulumi's mocks, once per stack: the resources each tier declares and their
 * properties, resource options as the engine receives them, and what stays secret.
 */

const TYPES = {
  instance: "aws:rds/instance:Instance",
  kmsKey: "aws:kms/key:Key",
  subnetGroup: "aws:rds/subnetGroup:SubnetGroup",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  parameterGroup: "aws:rds/parameterGroup:ParameterGroup",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  bucket: "aws:s3/bucket:Bucket",
  versioning: "aws:s3/bucketVersioning:BucketVersioning",
  encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  policy: "aws:s3/bucketPolicy:BucketPolicy",
  lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  objectLock: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
  ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  logging: "aws:s3/bucketLogging:BucketLogging",
  secret: "aws:secretsmanager/secret:Secret",
  secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
  pgProvider: "pulumi:providers:postgresql",
  database: "postgresql:index/database:Database",
  schema: "postgresql:index/schema:Schema",
  role: "postgresql:index/role:Role",
  grant: "postgresql:index/grant:Grant",
  grantRole: "postgresql:index/grantRole:GrantRole",
  defaultPrivileges: "postgresql:index/defaultPrivileges:DefaultPrivileges",
  extension: "postgresql:index/extension:Extension",
  ec2Instance: "aws:ec2/instance:Instance",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  vpcEndpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
  iamRole: "aws:iam/role:Role",
  rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  instanceProfile: "aws:iam/instanceProfile:InstanceProfile",
} as const;

const NEON_DIRECT = "postgresql://neondb_owner:NeonAdminPw123456@ep-cool-darkness-123456.us-east-2.aws.neon.tech/neondb?sslmode=require";
const NEON_POOLED = "postgresql://neondb_owner:NeonAdminPw123456@ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require";

/** What prod keeps when it leaves the program (retainOnDelete), all of it protected too. */
const KEPT_IN_PROD = [
  `${TYPES.kmsKey} dbpipe-backups-key`,
  `${TYPES.kmsKey} dbpipe-server-key`,
  `${TYPES.bucket} dbpipe-backups-bucket`,
  `${TYPES.bucket} dbpipe-backups-logs`,
  `${TYPES.instance} dbpipe-server-instance`,
  `${TYPES.database} dbpipe-db-database`,
  `${TYPES.schema} dbpipe-db-schema`,
];

/** The inputs of the one registration of `type` (and `name`). */
function inputs(recorder: Recorder, type: string, name?: string): Record<string, unknown> {
  return recorder.one(type, name).inputs;
}

/** Grants and default privileges as comparable lines. */
function privilegeLines(recorder: Recorder): string[] {
  const grants = recorder.ofType(TYPES.grant).map((r) => {
    const i = r.inputs;
    const privileges = i.privileges as string[];
    if (privileges.length === 0) return `revoke ${i.objectType} everything from ${i.role}`;
    return `grant ${i.objectType} ${privileges.join(",")} to ${i.role}${i.schema ? ` in ${i.schema}` : ""}${i.objects ? " on all" : ""}`;
  });
  const defaults = recorder.ofType(TYPES.defaultPrivileges).map((r) => {
    const i = r.inputs;
    return `default ${i.objectType} ${(i.privileges as string[]).join(",")} to ${i.role} from ${i.owner} in ${i.schema}`;
  });
  return [...grants, ...defaults].sort();
}

/**
 * The checked-in stacks, and one a platform team makes with `dbpipe env new staging --tier test`
 * (with the extension the others list): every stack passes the same tests, by its tier.
 */
const STACKS = [
  ["dev", "dev"],
  ["test", "test"],
  ["prod", "prod"],
  ["staging", "test"],
] as const;

describe.each(STACKS)("stack %s (tier %s)", (stack, tier) => {
  const expected = TIER_EXPECTATIONS[tier];
  let run: MockedRun;
  let r: Recorder;
  let generated: string | undefined;
  beforeAll(async () => {
    let config = engineConfig(stack);
    if (stack === "staging") {
      generated = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-env-"));
      fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(generated, "Pulumi.yaml"));
      newEnvironment({ projectDir: generated, name: stack, tier, region: "us-east-1" });
      config = engineConfig(stack, { projectDir: generated, overrides: { "dbpipe:extensions": ["pgcrypto"] } });
    }
    run = await runWithMocks(stack, config);
    r = run.recorder;
  });
  afterAll(() => {
    if (generated) fs.rmSync(generated, { recursive: true, force: true });
  });

  it("declares the server, the database, four roles, grants, default privileges, extensions and the backup bucket", () => {
    expect(r.ofType(TYPES.instance)).toHaveLength(1);
    expect(r.ofType(TYPES.database).map((x) => x.inputs.name)).toEqual(["app"]);
    expect(r.ofType(TYPES.schema).map((x) => x.inputs.name)).toEqual(["app"]);
    expect(r.ofType(TYPES.role).map((x) => x.inputs.name).sort()).toEqual(["app_app", "app_migrator", "app_owner", "app_readonly"]);
    expect(r.ofType(TYPES.grant)).toHaveLength(11);
    expect(r.ofType(TYPES.grantRole).map((x) => x.inputs)).toEqual([{ role: "dbpipe_admin", grantRole: "app_owner", withAdminOption: false }]);
    expect(r.ofType(TYPES.defaultPrivileges)).toHaveLength(8);
    expect(r.ofType(TYPES.extension).map((x) => x.inputs.name)).toEqual(["pgcrypto"]);
    expect(r.ofType(TYPES.bucket).map((x) => x.name)).toEqual(expected.accessLogs ? ["dbpipe-backups-bucket", "dbpipe-backups-logs"] : ["dbpipe-backups-bucket"]);
    expect(r.ofType(TYPES.alarm)).toHaveLength(3);
  });

  it("declares a private, encrypted RDS PostgreSQL with the tier's backups, protection and size", () => {
    const instance = inputs(r, TYPES.instance);
    const key = r.one(TYPES.kmsKey, `dbpipe-server-key`);
    expect(instance).toMatchObject({
      engine: "postgres",
      engineVersion: "15",
      instanceClass: expected.instanceClass,
      storageEncrypted: true,
      kmsKeyId: `arn:aws:kms:us-east-1:123456789012:key/${key.name}`,
      publiclyAccessible: false,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: `arn:aws:kms:us-east-1:123456789012:key/${key.name}`,
      backupRetentionPeriod: expected.backupRetentionDays,
      deletionProtection: expected.deletionProtection,
      multiAz: expected.multiAz,
      skipFinalSnapshot: !expected.finalSnapshot,
      performanceInsightsEnabled: expected.performanceInsights,
      allowMajorVersionUpgrade: expected.allowMajorVersionUpgrade,
      applyImmediately: expected.applyImmediately,
      dbSubnetGroupName: `dbpipe-server-subnets`,
      vpcSecurityGroupIds: [`dbpipe-server-sg-id`],
      parameterGroupName: `dbpipe-server-params`,
    });
    expect(instance.password).toBeUndefined();
    if (expected.finalSnapshot) expect(instance.finalSnapshotIdentifier).toBe(`dbpipe-${stack}-server-final-a1b2c3d4`);
    else expect(instance.finalSnapshotIdentifier).toBeUndefined();
    expect(key.inputs.enableKeyRotation).toBe(true);
  });

  it("puts the instance in its own subnet group and a security group whose only way in is the SSM bastion", () => {
    expect(inputs(r, TYPES.subnetGroup).subnetIds).toEqual(["subnet-0aaa1111", "subnet-0bbb2222", "subnet-0ccc3333"]);
    expect(r.invocations.find((i) => i.token === "aws:ec2/getVpcs:getVpcs")?.args).toEqual({ filters: [{ name: "is-default", values: ["true"] }] });
    expect(r.invocations.find((i) => i.token === "aws:ec2/getSubnets:getSubnets")?.args).toEqual({ filters: [{ name: "vpc-id", values: ["vpc-0default00000000"] }] });
    const group = inputs(r, TYPES.securityGroup, "dbpipe-server-sg");
    expect(group.vpcId).toBe("vpc-0default00000000");
    expect(group.ingress).toBeUndefined();
    expect(r.ofType(TYPES.ingress).map((x) => x.inputs)).toEqual([
      expect.objectContaining({ securityGroupId: "dbpipe-server-sg-id", ipProtocol: "tcp", fromPort: 5432, toPort: 5432, referencedSecurityGroupId: "dbpipe-server-bastion-sg-id" }),
    ]);
  });

  it("forces TLS and logs slow statements in the parameter group", () => {
    const group = inputs(r, TYPES.parameterGroup);
    expect(group.family).toBe("postgres15");
    expect(group.parameters).toEqual(
      expect.arrayContaining([
        { name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" },
        { name: "log_min_duration_statement", value: "1000", applyMethod: "immediate" },
      ]),
    );
  });

  it("alarms on CPU, free storage and connections of the instance", () => {
    const alarms = r.ofType(TYPES.alarm).map((a) => a.inputs);
    expect(alarms.map((a) => [a.metricName, a.comparisonOperator, a.threshold]).sort()).toEqual([
      ["CPUUtilization", "GreaterThanThreshold", 80],
      ["DatabaseConnections", "GreaterThanThreshold", expected.connectionsAlarm],
      ["FreeStorageSpace", "LessThanThreshold", 2048 * 1024 * 1024],
    ]);
    for (const alarm of alarms) expect(alarm.dimensions).toEqual({ DBInstanceIdentifier: `dbpipe-server-instance` });
  });

  it("declares the backup bucket: versioned, KMS-encrypted, private, TLS-only, expiring after the tier's retention", () => {
    const bucketName = `dbpipe-backups-bucket-id`;
    expect(inputs(r, TYPES.bucket, "dbpipe-backups-bucket")).toMatchObject({ forceDestroy: expected.forceDestroy });
    // Object Lock comes from its own resource: the bucket's objectLockEnabled would replace the bucket.
    expect(inputs(r, TYPES.bucket, "dbpipe-backups-bucket")).not.toHaveProperty("objectLockEnabled");
    expect(inputs(r, TYPES.versioning)).toEqual({ bucket: bucketName, versioningConfiguration: { status: "Enabled" } });
    expect(inputs(r, TYPES.encryption, "dbpipe-backups-encryption")).toEqual({
      bucket: bucketName,
      rules: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: `arn:aws:kms:us-east-1:123456789012:key/dbpipe-backups-key` },
          bucketKeyEnabled: true,
        },
      ],
    });
    expect(inputs(r, TYPES.publicAccessBlock, "dbpipe-backups-public-access-block")).toEqual({
      bucket: bucketName,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const policy = JSON.parse(inputs(r, TYPES.policy, "dbpipe-backups-policy").policy as string) as { Statement: Record<string, unknown>[] };
    expect(policy.Statement[0]).toEqual({
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [`arn:aws:s3:::dbpipe-backups-bucket`, `arn:aws:s3:::dbpipe-backups-bucket/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    const rules = inputs(r, TYPES.lifecycle, "dbpipe-backups-lifecycle").rules as Record<string, unknown>[];
    expect(rules[0]).toEqual({
      id: "expire-backups",
      status: "Enabled",
      filter: { prefix: "" },
      expiration: { days: expected.backupRetentionDays },
      noncurrentVersionExpiration: { noncurrentDays: expected.backupRetentionDays },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
    });
  });

  it(`${expected.objectLock ? "locks" : "does not lock"} backups with S3 Object Lock`, () => {
    const locks = r.ofType(TYPES.objectLock).map((x) => x.inputs);
    if (expected.objectLock) {
      expect(locks).toEqual([
        { bucket: `dbpipe-backups-bucket-id`, objectLockEnabled: "Enabled", rule: { defaultRetention: { mode: "GOVERNANCE", days: expected.backupRetentionDays } } },
      ]);
    } else {
      expect(locks).toEqual([]);
    }
  });

  it(`${expected.accessLogs ? "logs" : "does not log"} every access to the backups into a logs bucket of its own`, () => {
    const logging = r.ofType(TYPES.logging).map((x) => x.inputs);
    if (!expected.accessLogs) {
      expect(logging).toEqual([]);
      return;
    }
    const logs = "dbpipe-backups-logs-id";
    expect(logging).toEqual([
      {
        bucket: "dbpipe-backups-bucket-id",
        targetBucket: logs,
        targetPrefix: "access-logs/",
        targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: "EventTime" } },
      },
    ]);
    expect(inputs(r, TYPES.bucket, "dbpipe-backups-logs")).toMatchObject({ forceDestroy: expected.forceDestroy });
    expect(r.ofType(TYPES.objectLock).map((x) => x.inputs.bucket)).not.toContain(logs);
    // Log delivery supports SSE-S3 only as a target's default encryption; ACLs stay disabled.
    expect(inputs(r, TYPES.encryption, "dbpipe-backups-logs-encryption")).toEqual({ bucket: logs, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] });
    expect(inputs(r, TYPES.ownership, "dbpipe-backups-logs-ownership")).toEqual({ bucket: logs, rule: { objectOwnership: "BucketOwnerEnforced" } });
    expect(inputs(r, TYPES.publicAccessBlock, "dbpipe-backups-logs-public-access-block")).toEqual({
      bucket: logs,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect((inputs(r, TYPES.lifecycle, "dbpipe-backups-logs-lifecycle").rules as Record<string, unknown>[])[0]).toMatchObject({ status: "Enabled", expiration: { days: 365 } });
    const policy = JSON.parse(inputs(r, TYPES.policy, "dbpipe-backups-logs-policy").policy as string) as { Statement: Record<string, unknown>[] };
    expect(policy.Statement.map((s) => s.Sid)).toEqual(["S3ServerAccessLogsPolicy", "DenyInsecureTransport", "DenyOutdatedTls"]);
    expect(policy.Statement[0]).toEqual({
      Sid: "S3ServerAccessLogsPolicy",
      Effect: "Allow",
      Principal: { Service: "logging.s3.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: "arn:aws:s3:::dbpipe-backups-logs/access-logs/*",
      Condition: { ArnLike: { "aws:SourceArn": "arn:aws:s3:::dbpipe-backups-bucket" }, StringEquals: { "aws:SourceAccount": "123456789012" } },
    });
  });

  it(`${expected.protect ? "protects" : "does not protect"} the server, database, bucket, keys, roles and provider`, () => {
    const protectedOnes = r.registrations.filter((x) => x.protect).map((x) => `${x.type} ${x.name}`).sort();
    expect(protectedOnes).toEqual(
      expected.protect
        ? [
            ...KEPT_IN_PROD,
            `${TYPES.role} dbpipe-db-owner`,
            `${TYPES.role} dbpipe-db-migrator`,
            `${TYPES.role} dbpipe-db-app`,
            `${TYPES.role} dbpipe-db-readonly`,
            `${TYPES.pgProvider} dbpipe-db-provider`,
          ].sort()
        : [],
    );
  });

  it(`${expected.protect ? "keeps" : "does not keep"} the server, database, bucket and keys when they leave the program (retainOnDelete)`, () => {
    const retained = r.registrations.filter((x) => x.retainOnDelete).map((x) => `${x.type} ${x.name}`).sort();
    expect(retained).toEqual(
      expected.protect
        ? [...KEPT_IN_PROD].sort()
        : [],
    );
  });

  it("names resources without the stack, aliased to the names that carried it, and KMS aliases with project and stack", () => {
    const root = r.one("dbpipe:infra:DatabaseEnvironment");
    expect([root.name, root.aliases]).toEqual(["dbpipe", [expect.objectContaining({ name: `dbpipe-${stack}` })]]);
    // Pulumi gives each child the alias its parent's alias implies when the child's name starts with
    // the parent's: every resource here does, so every old `dbpipe-<stack>-…` URN maps to its new name.
    const byUrn = new Map(r.registrations.map((x) => [x.urn, x]));
    for (const x of r.registrations.filter((y) => y !== root && y.type !== "pulumi:pulumi:Stack")) {
      const parent = byUrn.get(x.parent);
      expect(`${x.name} under ${parent?.name}`).toMatch(new RegExp(`^${parent?.name}-.+ under ${parent?.name}$`));
      expect(x.name).not.toContain(stack);
    }
    expect(r.ofType("aws:kms/alias:Alias").map((x) => x.inputs.name).sort()).toEqual([`alias/dbpipe-${stack}-backups`, `alias/dbpipe-${stack}-server`]);
  });

  it("tags every taggable AWS resource with project, stack and tier", () => {
    const aws = r.registrations.filter((x) => x.type.startsWith("aws:"));
    const taggable = aws.filter((x) => isTaggable(x.type));
    expect(taggable.length).toBeGreaterThan(10);
    for (const resource of taggable) {
      // The bastion's Name tag is what the EC2 console lists it by.
      const { Name, ...tags } = resource.inputs.tags as Record<string, unknown>;
      expect({ resource: `${resource.type} ${resource.name}`, tags, Name }).toEqual({
        resource: `${resource.type} ${resource.name}`,
        tags: { project: "dbpipe", stack, tier },
        Name: resource.type === TYPES.ec2Instance ? `dbpipe-${stack}-bastion` : undefined,
      });
    }
  });

  it("keeps every resource inside a dbpipe component", () => {
    for (const resource of r.registrations.filter((x) => x.custom && !x.type.startsWith("pulumi:"))) {
      expect(`${resource.name}: ${parentType(resource)}`).toMatch(/: dbpipe:infra:(RdsServer|SsmBastion|AppDatabase|BackupBucket|DatabaseEnvironment)$/);
      expect(resource.name.startsWith(`dbpipe-`)).toBe(true);
    }
  });

  it("manages the database through an explicit postgresql provider that logs in with the RDS-managed master secret, through the tunnel", () => {
    const provider = r.one(TYPES.pgProvider);
    expect(provider.inputs).toMatchObject({
      host: "localhost",
      port: "15432",
      username: "dbpipe_admin",
      databaseUsername: "dbpipe_admin",
      database: "postgres",
      // Through the tunnel the host is localhost: the RDS CA must have signed the certificate, whose name cannot match.
      sslmode: "verify-ca",
      sslrootcert: "certs/rds-ca-bundle.pem",
    });
    expect(String(provider.inputs.superuser)).toBe("false");
    expect(isSecretValue(provider.inputs.password)).toBe(true);
    expect(unwrap(provider.inputs.password)).toBe(MASTER_PASSWORD);
    expect(r.invocations.find((i) => i.token === "aws:secretsmanager/getSecretVersion:getSecretVersion")?.args).toEqual({
      secretId: `arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-dbpipe-server-instance`,
    });
    const viaProvider = r.registrations.filter((x) => x.type.startsWith("postgresql:"));
    expect(viaProvider.length).toBeGreaterThan(20);
    for (const resource of viaProvider) expect(resource.provider).toContain(`$pulumi:providers:postgresql::dbpipe-db-provider::`);
  });

  it("gives the four roles their powers: owner without login, migrator acting as owner, app and readonly", () => {
    const role = (name: string) => r.ofType(TYPES.role).find((x) => x.inputs.name === name)?.inputs ?? {};
    expect(role("app_owner")).toEqual({ name: "app_owner", login: false });
    expect(role("app_migrator")).toMatchObject({ login: true, roles: ["app_owner"], assumeRole: "app_owner", inherit: true, searchPaths: ["app", "public"] });
    expect(role("app_app")).toMatchObject({ login: true, searchPaths: ["app", "public"] });
    expect(role("app_app").roles).toBeUndefined();
    expect(role("app_readonly")).toMatchObject({ login: true, searchPaths: ["app", "public"] });
    for (const name of ["app_migrator", "app_app", "app_readonly"]) expect(isSecretValue(role(name).password)).toBe(true);
    expect(inputs(r, TYPES.database)).toMatchObject({ name: "app", owner: "app_owner" });
    expect(inputs(r, TYPES.schema)).toMatchObject({ name: "app", owner: "app_owner", database: "app" });
  });

  it("lets only its login roles connect, grants what exists and sets default privileges so tables migrations create need no further grant", () => {
    expect(privilegeLines(r)).toEqual(
      [
        "revoke database everything from public",
        "grant database CONNECT to dbpipe_admin",
        "grant database CONNECT to app_migrator",
        "grant database CONNECT to app_app",
        "grant database CONNECT to app_readonly",
        "grant schema USAGE to app_app in app",
        "grant schema USAGE to app_readonly in app",
        "grant table SELECT,INSERT,UPDATE,DELETE to app_app in app on all",
        "grant sequence USAGE,SELECT to app_app in app on all",
        "grant table SELECT to app_readonly in app on all",
        "grant sequence SELECT to app_readonly in app on all",
        "default table SELECT,INSERT,UPDATE,DELETE to app_app from app_owner in app",
        "default sequence USAGE,SELECT to app_app from app_owner in app",
        "default table SELECT to app_readonly from app_owner in app",
        "default sequence SELECT to app_readonly from app_owner in app",
        "default table SELECT,INSERT,UPDATE,DELETE to app_app from app_migrator in app",
        "default sequence USAGE,SELECT to app_app from app_migrator in app",
        "default table SELECT to app_readonly from app_migrator in app",
        "default sequence SELECT to app_readonly from app_migrator in app",
      ].sort(),
    );
  });

  it("declares the grants on the schema and its tables one after another: two at once fail with \"tuple concurrently updated\"", () => {
    // The provider locks only the grantee around REVOKE + GRANT (cyrilgdn/terraform-provider-postgresql#178):
    // two roles' grants on the same schema, run in parallel by Pulumi, rewrite the same catalog rows.
    const grants = r.ofType(TYPES.grant).filter((g) => g.inputs.objectType !== "database");
    expect(grants).toHaveLength(6);
    const byUrn = new Map(r.registrations.map((x) => [x.urn, x]));
    const before = (a: string, b: string): boolean => {
      const seen = new Set<string>();
      const queue = [...(byUrn.get(b)?.dependencies ?? [])];
      while (queue.length > 0) {
        const urn = queue.shift() as string;
        if (urn === a) return true;
        if (seen.has(urn)) continue;
        seen.add(urn);
        queue.push(...(byUrn.get(urn)?.dependencies ?? []));
      }
      return false;
    };
    for (const a of grants) for (const b of grants) if (a !== b) expect(before(a.urn, b.urn) || before(b.urn, a.urn), `${a.name} / ${b.name}`).toBe(true);
  });

  it(`${expected.protect ? "keeps" : "drops"} the schema's objects with it on pulumi destroy (${expected.protect ? "RESTRICT" : "CASCADE"})`, () => {
    // RESTRICT stops a dev teardown at the first table a migration made ("other objects depend on it").
    expect(inputs(r, TYPES.schema).dropCascade).toBe(!expected.protect);
  });

  it("exports endpoint, database, roles, bucket and secret ARNs, with every URL a secret", async () => {
    const out = run.exports as Record<string, pulumi.Output<unknown>>;
    expect(await resolve(out.endpoint)).toEqual({ value: `dbpipe-server-instance.c0abc123.us-east-1.rds.amazonaws.com:5432`, secret: false });
    expect((await resolve(out.databaseName)).value).toBe("app");
    expect((await resolve(out.roles)).value).toEqual({ owner: "app_owner", migrator: "app_migrator", app: "app_app", readonly: "app_readonly" });
    expect((await resolve(out.backupBucket)).value).toBe(`dbpipe-backups-bucket`);
    expect((await resolve(out.masterUserSecretArn)).value).toBe(`arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-dbpipe-server-instance`);
    expect((await resolve(out.credentialSecretArns)).value).toEqual({
      migrator: `arn:aws:secretsmanager:us-east-1:123456789012:secret:dbpipe-db-migrator-credentials`,
      app: `arn:aws:secretsmanager:us-east-1:123456789012:secret:dbpipe-db-app-credentials`,
      readonly: `arn:aws:secretsmanager:us-east-1:123456789012:secret:dbpipe-db-readonly-credentials`,
    });
    const migration = await resolve(out.migrationUrl);
    expect(migration.secret).toBe(true);
    expect(migration.value).toMatch(new RegExp(`^postgresql://app_migrator:Pw[0-9a-f]{30}@dbpipe-server-instance\\.c0abc123\\.us-east-1\\.rds\\.amazonaws\\.com:5432/app\\?sslmode=verify-full&sslrootcert=certs%2Frds-ca-bundle\\.pem$`));
    expect((await resolve(out.tls)).value).toEqual({ deploy: "verify-ca", urls: "verify-full", rootCert: "certs/rds-ca-bundle.pem" });
    for (const key of ["migrationUrl", "appUrl", "readonlyUrl"]) {
      expect(await pulumi.isSecret(out[key])).toBe(true);
      expect(isSecretValue(r.stackOutputs?.[key])).toBe(true);
    }
  });

  it("never lets a password reach a resource input or an output in plain text", () => {
    // The scan must see the passwords to mean anything: they are there, under secret markers.
    expect(JSON.stringify(inputs(r, TYPES.role, `dbpipe-db-app`).password)).toContain("Pw");
    const all: [string, unknown][] = r.registrations.map((x) => [`${x.type} ${x.name}`, x.inputs]);
    all.push(["stack outputs", r.stackOutputs]);
    expect(plainPasswords(r, all)).toEqual([]);
    for (const version of r.ofType(TYPES.secretVersion)) expect(isSecretValue(version.inputs.secretString)).toBe(true);
  });
});

describe("the plain-text check", () => {
  it("finds a password outside a secret", async () => {
    const run = await runWithMocks("dev", engineConfig("dev"));
    const leaked: [string, unknown][] = [["an output", `postgresql://app_app:${[...run.recorder.passwords][1]}@host/app`]];
    expect(plainPasswords(run.recorder, leaked)).toEqual(["an output"]);
  });
});

describe("an environment made by `dbpipe env new staging --tier test`", () => {
  let dir: string;
  let staging: Recorder;
  let test: Recorder;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-env-"));
    fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    newEnvironment({ projectDir: dir, name: "staging", tier: "test", region: "us-east-1" });
    staging = (await runWithMocks("staging", engineConfig("staging", { projectDir: dir }))).recorder;
    test = (await runWithMocks("test", engineConfig("test", { overrides: { "dbpipe:extensions": undefined } }))).recorder;
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("declares the same resources as the test stack, named after staging", () => {
    expect(shape(staging)).toEqual(shape(test).map((line) => line.replaceAll("dbpipe-test", "dbpipe-staging")));
  });

  it("has the test tier's settings and is tagged staging / test", () => {
    const expected = TIER_EXPECTATIONS.test;
    expect(inputs(staging, TYPES.instance)).toMatchObject({
      instanceClass: expected.instanceClass,
      backupRetentionPeriod: expected.backupRetentionDays,
      multiAz: expected.multiAz,
      deletionProtection: expected.deletionProtection,
      performanceInsightsEnabled: expected.performanceInsights,
      tags: { project: "dbpipe", stack: "staging", tier: "test" },
    });
    expect(inputs(staging, TYPES.bucket)).toMatchObject({ forceDestroy: true });
  });
});

describe("external mode (Neon, Supabase)", () => {
  const config = (secrets: Record<string, string>) =>
    engineConfig("neon", { overrides: { "aws:region": "us-east-1", "dbpipe:tier": "test", "dbpipe:server": "external" }, secrets });
  let run: MockedRun;
  beforeAll(async () => {
    run = await runWithMocks("neon", config({ "dbpipe:directUrl": NEON_DIRECT, "dbpipe:pooledUrl": NEON_POOLED }));
    run.recorder.passwords.add("NeonAdminPw123456");
  });

  it("declares no RDS resources, only the database inside the given server and the backup bucket", () => {
    const types = new Set(run.recorder.registrations.map((x) => x.type));
    for (const rdsOnly of [TYPES.instance, TYPES.securityGroup, TYPES.subnetGroup, TYPES.parameterGroup, TYPES.alarm]) expect(types.has(rdsOnly)).toBe(false);
    expect(run.recorder.ofType(TYPES.role)).toHaveLength(4);
    expect(run.recorder.ofType(TYPES.bucket)).toHaveLength(1);
    expect(run.recorder.invocations).toEqual([]);
  });

  it("logs in with the direct URL's administrator, keeping everything from the URL secret", () => {
    const provider = run.recorder.one(TYPES.pgProvider).inputs;
    for (const key of ["host", "username", "password", "database"]) expect({ key, secret: isSecretValue(provider[key]) }).toEqual({ key, secret: true });
    expect(unwrap(provider.host)).toBe("ep-cool-darkness-123456.us-east-2.aws.neon.tech");
    expect(unwrap(provider.username)).toBe("neondb_owner");
    expect(unwrap(provider.database)).toBe("neondb");
    expect(unwrap(provider.password)).toBe("NeonAdminPw123456");
  });

  it("gives migrations the direct host and applications the pooled one", async () => {
    const out = run.exports as Record<string, pulumi.Output<string>>;
    const migration = await resolve(out.migrationUrl);
    const app = await resolve(out.appUrl);
    expect(migration.secret && app.secret).toBe(true);
    expect(new URL(migration.value ?? "").host).toBe("ep-cool-darkness-123456.us-east-2.aws.neon.tech:5432");
    expect(new URL(app.value ?? "").host).toBe("ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech:5432");
    expect(new URL(app.value ?? "").username).toBe("app_app");
    expect(await resolve(out.endpoint)).toEqual({ value: "ep-cool-darkness-123456.us-east-2.aws.neon.tech:5432", secret: true });
    expect((await resolve(out.masterUserSecretArn)).value).toBeUndefined();
  });

  it("never lets the administrator's or a role's password out in plain text", () => {
    const all: [string, unknown][] = run.recorder.registrations.map((x) => [`${x.type} ${x.name}`, x.inputs]);
    all.push(["stack outputs", run.recorder.stackOutputs]);
    expect(plainPasswords(run.recorder, all)).toEqual([]);
  });

  it("makes the administrator a member of the owner role, under the name it has inside PostgreSQL", () => {
    expect(run.recorder.ofType(TYPES.grantRole).map((x) => [unwrap(x.inputs.role), x.inputs.grantRole])).toEqual([["neondb_owner", "app_owner"]]);
    expect(unwrap(run.recorder.one(TYPES.pgProvider).inputs.databaseUsername)).toBe("neondb_owner");
  });

  it("with Supabase's session pooler as the admin URL, logs in as postgres.<ref> but grants to postgres", async () => {
    const supabase = await runWithMocks(
      "neon",
      config({
        "dbpipe:directUrl": "postgresql://postgres.abcdefghij:SupaPw123456@aws-0-us-east-1.pooler.supabase.com:5432/postgres",
        "dbpipe:pooledUrl": "postgresql://postgres.abcdefghij:SupaPw123456@aws-0-us-east-1.pooler.supabase.com:6543/postgres",
      }),
    );
    const provider = supabase.recorder.one(TYPES.pgProvider).inputs;
    expect([unwrap(provider.username), unwrap(provider.databaseUsername), unwrap(provider.host), unwrap(provider.port)]).toEqual([
      "postgres.abcdefghij",
      "postgres",
      "aws-0-us-east-1.pooler.supabase.com",
      "5432",
    ]);
    expect(supabase.recorder.ofType(TYPES.grantRole).map((x) => unwrap(x.inputs.role))).toEqual(["postgres"]);
    const grantees = supabase.recorder.ofType(TYPES.grant).map((x) => unwrap(x.inputs.role));
    expect(grantees).toContain("postgres");
    expect(grantees).not.toContain("postgres.abcdefghij");
    const out = supabase.exports as Record<string, pulumi.Output<string>>;
    const migration = new URL((await resolve(out.migrationUrl)).value ?? "");
    const app = new URL((await resolve(out.appUrl)).value ?? "");
    // Session mode (5432) for migrations, which need session state; transaction mode (6543) for the application.
    expect([migration.username, migration.host]).toEqual(["app_migrator.abcdefghij", "aws-0-us-east-1.pooler.supabase.com:5432"]);
    expect([app.username, app.host]).toEqual(["app_app.abcdefghij", "aws-0-us-east-1.pooler.supabase.com:6543"]);
  });

  it("keeps Supavisor's tenant suffix on the pooled user name", async () => {
    const supabase = await runWithMocks(
      "neon",
      config({
        "dbpipe:directUrl": "postgresql://postgres:SupaPw123456@db.abcdefghij.supabase.co:5432/postgres",
        "dbpipe:pooledUrl": "postgresql://postgres.abcdefghij:SupaPw123456@aws-0-us-east-1.pooler.supabase.com:6543/postgres",
      }),
    );
    const app = new URL((await resolve((supabase.exports as Record<string, pulumi.Output<string>>).appUrl)).value ?? "");
    expect([app.username, app.host]).toEqual(["app_app.abcdefghij", "aws-0-us-east-1.pooler.supabase.com:6543"]);
  });
});

describe("a stack's own network, admin endpoint, alarm topic and retention", () => {
  let r: Recorder;
  beforeAll(async () => {
    const config = engineConfig("dev", {
      overrides: {
        "dbpipe:vpcId": "vpc-0abc1234",
        "dbpipe:subnetIds": ["subnet-0aaa1111", "subnet-0bbb2222"],
        "dbpipe:allowedCidrs": ["10.0.0.0/16", "10.0.0.0/16"],
        "dbpipe:allowedSecurityGroupIds": ["sg-0abc1234"],
        "dbpipe:adminEndpoint": "localhost:15432",
        "dbpipe:alarmTopicArn": "arn:aws:sns:us-east-1:123456789012:db-alerts",
        "dbpipe:backupRetentionDays": 60,
      },
    });
    r = (await runWithMocks("dev", config)).recorder;
  });

  it("uses the given VPC and subnets without looking up the default VPC", () => {
    expect(inputs(r, TYPES.subnetGroup).subnetIds).toEqual(["subnet-0aaa1111", "subnet-0bbb2222"]);
    expect(inputs(r, TYPES.securityGroup, "dbpipe-server-sg").vpcId).toBe("vpc-0abc1234");
    expect(r.invocations.map((i) => i.token).filter((t) => t.startsWith("aws:ec2/"))).toEqual([]);
  });

  it("lets each allowed source in on the PostgreSQL port only, once", () => {
    const rules = r.ofType(TYPES.ingress).map((x) => x.inputs);
    expect(rules).toEqual([
      expect.objectContaining({ securityGroupId: "dbpipe-server-sg-id", ipProtocol: "tcp", fromPort: 5432, toPort: 5432, cidrIpv4: "10.0.0.0/16" }),
      expect.objectContaining({ securityGroupId: "dbpipe-server-sg-id", ipProtocol: "tcp", fromPort: 5432, toPort: 5432, referencedSecurityGroupId: "sg-0abc1234" }),
      expect.objectContaining({ securityGroupId: "dbpipe-server-sg-id", referencedSecurityGroupId: "dbpipe-server-bastion-sg-id" }),
    ]);
  });

  it("manages the database through the admin endpoint while applications get the instance's", () => {
    expect(inputs(r, TYPES.pgProvider)).toMatchObject({ host: "localhost", port: "15432" });
    const app = unwrap(JSON.parse(String(unwrap(inputs(r, TYPES.secretVersion, "dbpipe-db-app-credentials-value").secretString))).host);
    expect(app).toBe("dbpipe-server-instance.c0abc123.us-east-1.rds.amazonaws.com");
  });

  it("notifies the topic from every alarm, on alarm and on recovery", () => {
    for (const alarm of r.ofType(TYPES.alarm)) {
      expect(alarm.inputs).toMatchObject({ alarmActions: ["arn:aws:sns:us-east-1:123456789012:db-alerts"], okActions: ["arn:aws:sns:us-east-1:123456789012:db-alerts"] });
    }
  });

  it("keeps 60 days of backups in the bucket and RDS's maximum of 35 in RDS", () => {
    expect(inputs(r, TYPES.instance).backupRetentionPeriod).toBe(35);
    expect((inputs(r, TYPES.lifecycle, "dbpipe-backups-lifecycle").rules as { expiration: unknown }[])[0].expiration).toEqual({ days: 60 });
  });
});

describe("invalid stack settings", () => {
  it("stop the program before any resource, naming every key", async () => {
    const config = engineConfig("prod", {
      overrides: { "dbpipe:deletionProtection": false, "dbpipe:backupObjectLock": false, "dbpipe:backupRetentionDays": 10, "dbpipe:multiAZ": true },
    });
    const { error, recorder } = await loadProgram("prod", config);
    expect(error).toBeInstanceOf(pulumi.RunError);
    // Each problem at its key's line in the checked-in file (the file's layout is generated: see npm run settings:generate).
    const lines = readStackFile(PROJECT_DIR, "prod")!.lines!;
    const at = (key: string, message: string) => ({ line: lines.get(key)!, text: `  Pulumi.prod.yaml:${lines.get(key)}: ${key}: ${message}` });
    const located = [
      at("dbpipe:deletionProtection", "must be true in prod: a prod database must not be deletable by one command"),
      at("dbpipe:backupRetentionDays", "10 is below the prod tier's minimum of 30 days"),
      at("dbpipe:backupObjectLock", "must be true in prod: backups must not be deletable before their retention ends"),
    ].sort((a, b) => a.line - b.line);
    expect(error?.message).toBe(
      ["Pulumi.prod.yaml: invalid stack settings:", ...located.map((p) => p.text), "  Pulumi.prod.yaml: dbpipe:multiAZ: unknown key (did you mean dbpipe:multiAz?)"].join("\n"),
    );
    expect(recorder.registrations).toEqual([]);
  });

  it("refuse a connection URL in plain text without repeating it", async () => {
    const config = engineConfig("neon", {
      overrides: { "dbpipe:tier": "test", "dbpipe:server": "external", "aws:region": "us-east-1", "dbpipe:directUrl": NEON_DIRECT },
    });
    const { error } = await loadProgram("neon", config);
    expect(error?.message).toBe(
      [
        "the config of stack neon: invalid stack settings:",
        "  the config of stack neon: dbpipe:directUrl: must be a secret, not plain text: remove it and run `pulumi config set --secret directUrl <url> --stack neon`",
      ].join("\n"),
    );
    expect(error?.message).not.toContain("NeonAdminPw");
  });
});

/**
 * Inputs whose change makes the provider replace the resource (ForceNew in the Terraform providers
 * that @pulumi/aws and @pulumi/postgresql bridge: terraform-provider-aws internal/service/{s3,rds,
 * kms,ec2,secretsmanager}, cyrilgdn/terraform-provider-postgresql postgresql/resource_*.go).
 */
const REPLACING_INPUTS: Record<string, string[]> = {
  [TYPES.bucket]: ["bucket", "bucketPrefix", "objectLockEnabled"],
  [TYPES.instance]: ["identifierPrefix", "storageEncrypted", "kmsKeyId", "username", "dbName", "availabilityZone", "characterSetName", "engine"],
  [TYPES.kmsKey]: ["customerMasterKeySpec", "keySpec", "keyUsage", "multiRegion"],
  [TYPES.securityGroup]: ["name", "namePrefix", "vpcId", "description"],
  [TYPES.parameterGroup]: ["name", "namePrefix", "family", "description"],
  [TYPES.subnetGroup]: ["name", "namePrefix"],
  [TYPES.secret]: ["name", "namePrefix"],
  [TYPES.database]: ["name", "template", "encoding", "lcCollate", "lcCtype"],
  [TYPES.grant]: ["database", "role", "schema", "objectType", "objects", "withGrantOption"],
  [TYPES.defaultPrivileges]: ["database", "role", "owner", "schema", "objectType", "privileges", "withGrantOption"],
  [TYPES.grantRole]: ["role", "grantRole", "withAdminOption"],
};

describe("pulumi stack rename", () => {
  let before: Recorder;
  let after: Recorder;
  beforeAll(async () => {
    // The same stack file, before and after `pulumi stack rename dev dev-eu` (the tier is in the file).
    before = (await runWithMocks("dev", engineConfig("dev"))).recorder;
    after = (await runWithMocks("dev-eu", engineConfig("dev"))).recorder;
  });

  it("keeps every logical name, so no URN changes", () => {
    expect(after.registrations.map((x) => `${x.type} ${x.name}`).filter((n) => !n.startsWith("pulumi:pulumi:Stack")).sort()).toEqual(
      before.registrations.map((x) => `${x.type} ${x.name}`).filter((n) => !n.startsWith("pulumi:pulumi:Stack")).sort(),
    );
  });

  it("changes no input that would replace a resource (descriptions it cannot keep are ignored after creation)", () => {
    const changed: string[] = [];
    for (const x of after.registrations) {
      const old = before.registrations.find((y) => y.type === x.type && y.name === x.name);
      for (const input of REPLACING_INPUTS[x.type] ?? []) {
        if (x.ignoreChanges.includes(input)) continue;
        if (JSON.stringify(unwrap(x.inputs[input])) !== JSON.stringify(unwrap(old?.inputs[input]))) changed.push(`${x.type} ${x.name}.${input}`);
      }
    }
    expect(changed).toEqual([]);
    expect(after.one(TYPES.securityGroup, "dbpipe-server-sg").ignoreChanges).toEqual(["description"]);
    expect(after.one(TYPES.parameterGroup).ignoreChanges).toEqual(["description"]);
  });

  it("renames only what has a fixed name in the account: the KMS aliases, replaced in place of nothing stateful", () => {
    expect(after.ofType("aws:kms/alias:Alias").map((x) => x.inputs.name).sort()).toEqual(["alias/dbpipe-dev-eu-backups", "alias/dbpipe-dev-eu-server"]);
  });
});

describe("the network path of an rds stack", () => {
  describe("networkPath tunnel (the checked-in stacks)", () => {
    let run: MockedRun;
    let r: Recorder;
    beforeAll(async () => {
      run = await runWithMocks("dev", engineConfig("dev"));
      r = run.recorder;
    });

    it("declares an SSM-managed bastion with no inbound rule, HTTPS out to Systems Manager and PostgreSQL out to the database only", () => {
      const bastion = inputs(r, TYPES.ec2Instance, "dbpipe-server-bastion-instance");
      expect(bastion).toMatchObject({
        ami: "ami-0al2023arm64000000",
        instanceType: "t4g.nano",
        subnetId: "subnet-0aaa1111",
        vpcSecurityGroupIds: ["dbpipe-server-bastion-sg-id"],
        iamInstanceProfile: "dbpipe-server-bastion-profile",
        metadataOptions: { httpTokens: "required" },
        rootBlockDevice: { encrypted: true },
      });
      expect(r.one(TYPES.ec2Instance).ignoreChanges).toEqual(["ami"]);
      expect(r.invocations.find((i) => i.token === "aws:ssm/getParameter:getParameter")?.args).toEqual({
        name: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
      });
      const group = inputs(r, TYPES.securityGroup, "dbpipe-server-bastion-sg");
      expect([group.vpcId, group.ingress]).toEqual(["vpc-0default00000000", undefined]);
      expect(r.ofType(TYPES.ingress).filter((x) => x.inputs.securityGroupId === "dbpipe-server-bastion-sg-id")).toEqual([]);
      expect(r.ofType(TYPES.egress).map((x) => x.inputs)).toEqual([
        expect.objectContaining({ securityGroupId: "dbpipe-server-bastion-sg-id", ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" }),
        expect.objectContaining({ securityGroupId: "dbpipe-server-bastion-sg-id", ipProtocol: "tcp", fromPort: 5432, toPort: 5432, referencedSecurityGroupId: "dbpipe-server-sg-id" }),
      ]);
      expect(r.ofType(TYPES.vpcEndpoint)).toEqual([]);
    });

    it("gives the bastion a role Systems Manager can manage it with, and nothing more", () => {
      const role = inputs(r, TYPES.iamRole, "dbpipe-server-bastion-role");
      expect(JSON.parse(role.assumeRolePolicy as string)).toEqual({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
      });
      expect(r.ofType(TYPES.rolePolicyAttachment).map((x) => x.inputs)).toEqual([
        { role: "dbpipe-server-bastion-role", policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" },
      ]);
      expect(inputs(r, TYPES.instanceProfile).role).toBe("dbpipe-server-bastion-role");
    });

    it("migrates through the tunnel's local end too, while the URLs it exports name the instance", async () => {
      const set = r.one(MIGRATION_SET_TYPE);
      expect(new URL(String(unwrap(set.inputs.databaseUrl))).host).toBe("localhost:15432");
      const out = run.exports as Record<string, pulumi.Output<unknown>>;
      expect(new URL(String((await resolve(out.migrationUrl)).value)).host).toBe("dbpipe-server-instance.c0abc123.us-east-1.rds.amazonaws.com:5432");
    });

    it("exports what dbpipe tunnel needs: the bastion, the instance's address, the local port and the region", async () => {
      const out = run.exports as Record<string, pulumi.Output<unknown>>;
      expect((await resolve(out.networkPath)).value).toBe("tunnel");
      expect(await resolve(out.tunnel)).toEqual({
        value: { bastionInstanceId: "dbpipe-server-bastion-instance-id", host: "dbpipe-server-instance.c0abc123.us-east-1.rds.amazonaws.com", port: 5432, localPort: 15432, region: "us-east-1" },
        secret: false,
      });
    });
  });

  it("with bastionVpcEndpoints, declares the three Systems Manager endpoints, reachable from the bastion only", async () => {
    const r = (
      await runWithMocks(
        "dev",
        engineConfig("dev", {
          overrides: { "dbpipe:vpcId": "vpc-0abc1234", "dbpipe:subnetIds": ["subnet-0aaa1111", "subnet-0bbb2222"], "dbpipe:bastionSubnetId": "subnet-0bbb2222", "dbpipe:bastionVpcEndpoints": true },
        }),
      )
    ).recorder;
    expect(inputs(r, TYPES.ec2Instance).subnetId).toBe("subnet-0bbb2222");
    expect(r.ofType(TYPES.vpcEndpoint).map((x) => [x.inputs.serviceName, x.inputs.vpcEndpointType, x.inputs.subnetIds, x.inputs.privateDnsEnabled, x.inputs.securityGroupIds])).toEqual(
      ["ssm", "ssmmessages", "ec2messages"].map((service) => [`com.amazonaws.us-east-1.${service}`, "Interface", ["subnet-0bbb2222"], true, ["dbpipe-server-bastion-endpoints-sg-id"]]),
    );
    expect(r.ofType(TYPES.ingress).find((x) => x.inputs.securityGroupId === "dbpipe-server-bastion-endpoints-sg-id")?.inputs).toMatchObject({
      fromPort: 443,
      toPort: 443,
      referencedSecurityGroupId: "dbpipe-server-bastion-sg-id",
    });
  });

  it("networkPath vpc: no bastion, the provider and the migrations connect to the instance, the allowed sources are let in", async () => {
    const run = await runWithMocks("dev", engineConfig("dev", { overrides: { "dbpipe:networkPath": "vpc", "dbpipe:allowedSecurityGroupIds": ["sg-0abc9999"] } }));
    const r = run.recorder;
    expect(r.ofType(TYPES.ec2Instance)).toEqual([]);
    expect(r.ofType(TYPES.ingress).map((x) => x.inputs.referencedSecurityGroupId)).toEqual(["sg-0abc9999"]);
    expect(inputs(r, TYPES.pgProvider).host).toBe("dbpipe-server-instance.c0abc123.us-east-1.rds.amazonaws.com");
    expect(new URL(String(unwrap(r.one(MIGRATION_SET_TYPE).inputs.databaseUrl))).host).toBe("dbpipe-server-instance.c0abc123.us-east-1.rds.amazonaws.com:5432");
    const out = run.exports as Record<string, pulumi.Output<unknown>>;
    expect([(await resolve(out.networkPath)).value, (await resolve(out.tunnel)).value]).toEqual(["vpc", undefined]);
  });

  it("refuses an rds stack without a network path, or a vpc path that lets nothing in, naming the keys", async () => {
    const none = await loadProgram("dev", engineConfig("dev", { overrides: { "dbpipe:networkPath": undefined } }));
    expect(none.error).toBeInstanceOf(pulumi.RunError);
    expect(none.error?.message).toMatch(
      /\n {2}Pulumi\.dev\.yaml(:\d+)?: dbpipe:networkPath: is required when dbpipe:server is rds: the instance is private, so say how pulumi up reaches it — tunnel .* run `pulumi config set networkPath tunnel --stack dev`$/,
    );
    expect(none.recorder.registrations).toEqual([]);
    const closed = await loadProgram("dev", engineConfig("dev", { overrides: { "dbpipe:networkPath": "vpc" } }));
    expect(closed.error?.message).toContain(
      "dbpipe:networkPath: is vpc, but neither dbpipe:allowedCidrs nor dbpipe:allowedSecurityGroupIds lets anything in",
    );
  });
});

describe("pulumi up waiting for the tunnel", () => {
  it("holds the database resources until the tunnel's local end accepts connections, then connects there", async () => {
    const server = net.createServer((socket) => socket.end());
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const run = await runWithMocks(
        "dev",
        engineConfig("dev", { overrides: { "dbpipe:adminEndpoint": `127.0.0.1:${port}`, "dbpipe:tunnelWait": "1min" } }),
      );
      expect(inputs(run.recorder, TYPES.pgProvider)).toMatchObject({ host: "127.0.0.1", port: String(port) });
    } finally {
      await new Promise((done) => server.close(done));
    }
  });

  it("gives up after dbpipe:tunnelWait with the command that opens the tunnel", async () => {
    // A port nothing listens on: one the system gave out and took back.
    const server = net.createServer();
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((done) => server.close(done));
    const error = await firstRunError(() =>
      runWithMocks("dev", engineConfig("dev", { overrides: { "dbpipe:adminEndpoint": `127.0.0.1:${port}`, "dbpipe:tunnelWait": "1s" } })),
    );
    expect(error).toContain(`nothing accepted connections at 127.0.0.1:${port} within 1s: start the tunnel with \`dbpipe tunnel --stack dev\``);
  });
});

describe("an account without a default VPC", () => {
  it("stops with the keys to set instead of a provider error", async () => {
    const error = await firstRunError(() => runWithMocks("dev", engineConfig("dev"), { noDefaultVpc: true }));
    expect(error).toContain("this AWS account has no default VPC in the region: set dbpipe:vpcId and dbpipe:subnetIds");
  });
});
