import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, type StackSettings } from "../settings/stack-settings";
import { AppDatabase, type DatabaseRoles, type LoginRole } from "./app-database";
import { bucketStoreUrl } from "../backup/stack-store";
import { BackupBucket } from "./backup-bucket";
import { type ConnectionTls, connectionTls } from "./connection-tls";
import { ExternalServer } from "./external-server";
import { MigrationSet } from "./migration-set";
import { RdsServer } from "./rds-server";

/** What `dbpipe tunnel` needs to open the SSM port forwarding session of an rds stack. */
export interface TunnelTarget {
  /** The bastion's EC2 instance id: the session's `--target`. */
  bastionInstanceId: string;
  /** The instance's private address, where the bastion forwards to. */
  host: string;
  /** The instance's port. */
  port: number;
  /** The local port: dbpipe:adminEndpoint's, where `pulumi up` connects. */
  localPort: number;
  /** The AWS region of the bastion. */
  region: string;
}

/** Arguments of a {@link DatabaseEnvironment}. */
export interface DatabaseEnvironmentArgs {
  /** The stack's parsed settings. Required. */
  settings: StackSettings;
}

/**
 * The stack-qualified name of an environment: `<project>-<stack>`, lower-cased, with anything AWS
 * names reject (`_`, `.`, capitals in RDS identifiers and bucket names) turned into `-`. It names
 * only what must be unique in the AWS account and is not in Pulumi's state (KMS aliases,
 * descriptions, the final snapshot). Before logical names left the stack out, it was also the
 * environment's logical name: {@link DatabaseEnvironment}'s alias.
 */
export function environmentName(stack: string, project: string = CONFIG_NAMESPACE): string {
  const slug = stack
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return `${project}-${slug || "stack"}`;
}

/**
 * Options of the environment's component: its logical name is the project's (`dbpipe`), the same in
 * every stack, so `pulumi stack rename` keeps every URN; the alias maps the names earlier versions
 * gave (`dbpipe-<stack>`, and every child's `dbpipe-<stack>-…`, which Pulumi derives from it) to the
 * new ones, so upgrading replaces nothing.
 */
export function environmentIdentity(stack: string, project: string): { name: string; opts: pulumi.ComponentResourceOptions } {
  return { name: project, opts: { aliases: [{ name: environmentName(stack, project) }] } };
}

/** The tags every taggable resource of a stack carries: project, stack and tier. */
export function environmentTags(settings: Pick<StackSettings, "stack" | "tier">): Record<string, string> {
  return { project: CONFIG_NAMESPACE, stack: settings.stack, tier: settings.tier };
}

/**
 * One environment's database, as its stack settings describe it: the server (an RDS instance, or
 * an existing server given by secret URLs), the application database with its roles, grants and
 * extensions, and the backup bucket. The one place that turns settings into component arguments.
 */
export class DatabaseEnvironment extends pulumi.ComponentResource {
  /** The RDS server, in `rds` mode. */
  readonly rds?: RdsServer;
  /** The application database. */
  readonly database: AppDatabase;
  /** The backup bucket. */
  readonly backups: BackupBucket;
  /** The migrations, applied on every `pulumi up` once the database, its roles and the bucket exist. */
  readonly migrations: MigrationSet;
  /** `host:port` of the server's direct connection. Secret in `external` mode (it comes from a secret URL). */
  readonly endpoint: pulumi.Output<string>;
  /** Where `dbpipe tunnel` forwards to; undefined unless the stack's network path is a tunnel. */
  readonly tunnel?: pulumi.Output<TunnelTarget>;
  /** ARN of the RDS master user's secret; undefined in `external` mode. */
  readonly masterUserSecretArn?: pulumi.Output<string>;
  /** The roles' names. */
  readonly roles: DatabaseRoles<string>;
  /** ARNs of the login roles' credential secrets. */
  readonly credentialSecretArns: Record<LoginRole, pulumi.Output<string>>;
  /** How every connection verifies the server. */
  readonly tls: ConnectionTls;

  constructor(name: string, args: DatabaseEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dbpipe:infra:DatabaseEnvironment", name, {}, opts);
    const { infra } = args.settings;
    const tags = environmentTags(args.settings);
    const protect = infra.protectResources;
    const fixed = environmentName(args.settings.stack, pulumi.getProject());

    this.tls = connectionTls(infra);
    const tls = this.tls;
    let server: RdsServer | ExternalServer;
    if (infra.server === "rds") {
      this.rds = new RdsServer(
        `${name}-server`,
        {
          instanceClass: infra.instanceClass,
          allocatedStorageGb: infra.allocatedStorageGb,
          maxAllocatedStorageGb: infra.maxAllocatedStorageGb,
          multiAz: infra.multiAz,
          backupRetentionDays: infra.backupRetentionDays,
          deletionProtection: infra.deletionProtection,
          finalSnapshot: infra.finalSnapshot,
          performanceInsights: infra.performanceInsights,
          engineVersion: infra.engineVersion,
          slowStatementMs: infra.slowStatementMs,
          allowMajorVersionUpgrade: infra.allowMajorVersionUpgrade,
          applyImmediately: infra.applyImmediately,
          vpcId: infra.vpcId,
          subnetIds: infra.subnetIds,
          allowedCidrs: infra.allowedCidrs,
          allowedSecurityGroupIds: infra.allowedSecurityGroupIds,
          adminEndpoint: infra.adminEndpoint,
          tunnel:
            infra.networkPath === "tunnel"
              ? {
                  subnetId: infra.bastionSubnetId,
                  vpcEndpoints: infra.bastionVpcEndpoints,
                  waitMs: infra.tunnelWaitMs,
                  command: `dbpipe tunnel --stack ${args.settings.stack}`,
                }
              : undefined,
          tls,
          alarms: {
            cpuPercent: infra.alarmCpuPercent,
            freeStorageMb: infra.alarmFreeStorageMb,
            connections: infra.alarmConnections,
            topicArn: infra.alarmTopicArn,
          },
          tags,
          protect,
          fixedName: `${fixed}-server`,
        },
        { parent: this },
      );
      server = this.rds;
      this.masterUserSecretArn = this.rds.masterUserSecretArn;
      const bastion = this.rds.bastion;
      const localPort = infra.adminEndpoint?.port;
      if (bastion && localPort !== undefined) {
        const region = aws.getRegionOutput({}, { parent: this }).region;
        this.tunnel = pulumi
          .all([bastion.instance.id, this.rds.instance.address, this.rds.instance.port, region])
          .apply(([bastionInstanceId, host, port, r]) => ({ bastionInstanceId, host, port, localPort, region: r }));
      }
    } else {
      // The settings refuse external mode without a direct URL; the Pulumi runtime always decrypts it.
      const directUrl = infra.directUrl?.value;
      if (directUrl === undefined) throw new pulumi.RunError(`dbpipe:directUrl of stack ${args.settings.stack} is a secret this program could not read`);
      server = new ExternalServer(
        `${name}-server`,
        { directUrl: pulumi.secret(directUrl), pooledUrl: infra.pooledUrl?.value === undefined ? undefined : pulumi.secret(infra.pooledUrl.value), tls },
        { parent: this },
      );
    }
    this.endpoint = server.endpoint;

    this.database = new AppDatabase(
      `${name}-db`,
      {
        connection: server.connection,
        databaseName: infra.databaseName,
        schemaName: infra.schemaName,
        extensions: infra.extensions,
        serverVersion: infra.server === "rds" ? infra.engineVersion : undefined,
        secretsKmsKeyArn: this.rds?.kmsKey.arn,
        tags,
        protect,
      },
      { parent: this },
    );
    this.roles = this.database.roles;
    this.credentialSecretArns = this.database.credentialSecretArns;

    this.backups = new BackupBucket(
      `${name}-backups`,
      {
        retentionDays: infra.backupRetentionDays,
        objectLock: infra.backupObjectLock,
        objectLockMode: infra.backupObjectLockMode,
        forceDestroy: infra.backupForceDestroy,
        // Who read, wrote or deleted which backup: required in prod (the policy pack checks it).
        accessLogs: args.settings.tier === "prod",
        tags,
        protect,
        fixedName: `${fixed}-backups`,
      },
      { parent: this },
    );

    // After the database, its roles and grants (the whole component), and the bucket its backups go to.
    this.migrations = new MigrationSet(
      `${name}-migrations`,
      {
        // Where pulumi up reaches the database: through the tunnel's local end when there is one.
        databaseUrl: this.database.deployUrl,
        settings: args.settings,
        // The prefix `dbpipe backups` and `dbpipe restore` read: one place for both front ends.
        backup: this.backups.bucketName.apply(bucketStoreUrl),
      },
      { parent: this, dependsOn: [this.database, this.backups] },
    );
    this.registerOutputs({ endpoint: this.endpoint });
  }
}
