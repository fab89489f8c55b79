import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { HostPort } from "../settings/stack-settings";
import { connectionsAlarmThreshold, maxConnections } from "../settings/rds-instance-classes";
import { RDS_CA_BUNDLE } from "../tls";
import type { ConnectionTls } from "./connection-tls";
import type { ServerConnection } from "./server-connection";
import { SsmBastion } from "./ssm-bastion";
import { waitForPort } from "./tunnel-wait";

/** RDS keeps automated backups for at most this many days. */
export const RDS_MAX_BACKUP_RETENTION_DAYS = 35;

/** CloudWatch alarm thresholds of an {@link RdsServer}. */
export interface RdsAlarmArgs {
  /** Average CPU utilisation over 3 × 5 minutes above which the CPU alarm fires, percent. Default 80. */
  cpuPercent?: number;
  /** Free storage below which the storage alarm fires, MiB. Default 2048. */
  freeStorageMb?: number;
  /**
   * Connections above which the connections alarm fires (maximum over 2 × 5 minutes). Default: 80% of
   * the `max_connections` RDS gives the instance class (see `settings/rds-instance-classes.ts`).
   */
  connections?: number;
  /** SNS topic the alarms notify, on alarm and on recovery. Default none: the alarms only show in CloudWatch. */
  topicArn?: string;
}

/** The SSM tunnel of an {@link RdsServer}. */
export interface RdsTunnelArgs {
  /** The bastion's subnet. Default: the first of the instance's subnets. */
  subnetId?: pulumi.Input<string>;
  /** Interface VPC endpoints for Systems Manager in the bastion's subnet. Default false. */
  vpcEndpoints?: boolean;
  /** How long `pulumi up` waits for `adminEndpoint` to accept connections before the first database resource, ms; 0 = no wait. Required. */
  waitMs: number;
  /** The command that opens the tunnel, for the messages: `dbpipe tunnel --stack dev`. Required. */
  command: string;
}

/** Arguments of an {@link RdsServer}. Tier-shaped values have no default: the stack's tier decides them. */
export interface RdsServerArgs {
  /** Instance class, e.g. `db.t4g.micro`. Required. */
  instanceClass: string;
  /** Allocated gp3 storage, GiB. Required. */
  allocatedStorageGb: number;
  /** Storage autoscaling ceiling, GiB. Required. */
  maxAllocatedStorageGb: number;
  /** Multi-AZ deployment. Required. */
  multiAz: boolean;
  /** Days of automated backups; RDS keeps at most 35, so more is capped. Required. */
  backupRetentionDays: number;
  /** RDS deletion protection. Required. */
  deletionProtection: boolean;
  /** Take a final snapshot (and keep the automated backups) when the instance is deleted. Required. */
  finalSnapshot: boolean;
  /** Performance Insights, 7 days, encrypted with the server's KMS key. Required. */
  performanceInsights: boolean;
  /** PostgreSQL version, major (`15`) or major.minor (`15.8`). Default `15`. */
  engineVersion?: string;
  /** Let a new major `engineVersion` upgrade the instance in place. Default false. */
  allowMajorVersionUpgrade?: boolean;
  /** Apply instance changes at once instead of in the next maintenance window. Default false. */
  applyImmediately?: boolean;
  /** `log_min_duration_statement`, ms; -1 turns slow-statement logging off. Default 1000. */
  slowStatementMs?: number;
  /** The master user's name; its password lives in Secrets Manager, managed by RDS. Default `dbpipe_admin`. */
  masterUsername?: string;
  /** VPC of the instance. Default: the account's default VPC. */
  vpcId?: pulumi.Input<string>;
  /** Subnets of the subnet group, in two availability zones at least. Default: every subnet of the VPC. */
  subnetIds?: pulumi.Input<pulumi.Input<string>[]>;
  /** CIDR blocks allowed in on the PostgreSQL port. Default none. */
  allowedCidrs?: string[];
  /** Security groups allowed in on the PostgreSQL port. Default none. */
  allowedSecurityGroupIds?: string[];
  /**
   * Where the postgresql provider reaches the instance, when `pulumi up` runs outside the VPC (an SSM
   * or bastion tunnel). Default: the instance's own endpoint.
   */
  adminEndpoint?: HostPort;
  /**
   * An SSM bastion (no inbound ports) that `dbpipe tunnel` forwards `adminEndpoint` through to the
   * instance. Default none: `pulumi up` reaches the instance from inside the VPC.
   */
  tunnel?: RdsTunnelArgs;
  /** How connections verify the instance. Default: verify-full against the RDS CA bundle. */
  tls?: ConnectionTls;
  /** CloudWatch alarms. Default: the thresholds documented on {@link RdsAlarmArgs}. */
  alarms?: RdsAlarmArgs;
  /**
   * The name AWS sees where a name must be unique in the account and is fixed by dbpipe (the KMS
   * alias, descriptions, the final snapshot): the project and the stack, e.g. `dbpipe-prod-server`.
   * Logical names leave the stack out so that `pulumi stack rename` replaces nothing. Default: `name`.
   */
  fixedName?: string;
  /** Tags for every taggable child. Default none. */
  tags?: Record<string, string>;
  /**
   * Pulumi `protect` and `retainOnDelete` on the instance and its KMS key: the engine refuses to
   * delete or replace them, and a resource removed from the program is left in AWS. Default false.
   */
  protect?: boolean;
}

/**
 * A private PostgreSQL on RDS: its own KMS key (storage, Performance Insights, the master user's
 * secret), subnet group and security group, a parameter group that forces TLS and logs slow
 * statements and lock waits, the instance with the master password managed by RDS in Secrets
 * Manager, and CloudWatch alarms for CPU, free storage and connections.
 */
export class RdsServer extends pulumi.ComponentResource {
  /** The instance. */
  readonly instance: aws.rds.Instance;
  /** The KMS key of storage, Performance Insights and the master user's secret. */
  readonly kmsKey: aws.kms.Key;
  /** The security group; add rules to it to let more clients in. */
  readonly securityGroup: aws.ec2.SecurityGroup;
  /** The CPU, free storage and connections alarms. */
  readonly alarms: aws.cloudwatch.MetricAlarm[];
  /** `host:port` of the instance. */
  readonly endpoint: pulumi.Output<string>;
  /** ARN of the Secrets Manager secret holding the master user's credentials, rotated by RDS. */
  readonly masterUserSecretArn: pulumi.Output<string>;
  /** How the environment reaches the instance. */
  readonly connection: ServerConnection;
  /** The SSM bastion, when `tunnel` is set. */
  readonly bastion?: SsmBastion;

  constructor(name: string, args: RdsServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dbpipe:infra:RdsServer", name, {}, opts);
    const tags = args.tags ?? {};
    const fixedName = args.fixedName ?? name;
    const engineVersion = args.engineVersion ?? "15";
    const major = engineVersion.split(".")[0];
    const stateful = { parent: this, protect: args.protect ?? false, retainOnDelete: args.protect ?? false };

    this.kmsKey = new aws.kms.Key(
      `${name}-key`,
      {
        description: `${fixedName}: RDS storage, Performance Insights and the master user secret`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        tags,
      },
      stateful,
    );
    new aws.kms.Alias(`${name}-key-alias`, { name: `alias/${fixedName}`, targetKeyId: this.kmsKey.keyId }, { parent: this });

    const vpcId = args.vpcId ?? defaultVpcId(this);
    const subnetIds =
      args.subnetIds ?? aws.ec2.getSubnetsOutput({ filters: [{ name: "vpc-id", values: [vpcId] }] }, { parent: this }).ids;
    const subnetGroup = new aws.rds.SubnetGroup(
      `${name}-subnets`,
      { description: `${fixedName}: private subnets of the PostgreSQL instance`, subnetIds, tags },
      { parent: this },
    );

    // No inline rules: the group starts closed (no ingress, and no egress, which RDS never needs),
    // and each allowed source is its own rule, named after it, so editing the list touches one rule.
    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      { vpcId, description: `${fixedName}: PostgreSQL from the allowed CIDRs and security groups only`, tags },
      // A description change replaces a security group (and detaches the instance for it): the one
      // written at creation stays, whatever the stack is renamed to later.
      { parent: this, ignoreChanges: ["description"] },
    );
    const port = 5432;
    // A source listed twice would be two resources with one name.
    for (const cidr of new Set(args.allowedCidrs ?? [])) {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-from-${cidr.replace(/[./]/g, "-")}`,
        { securityGroupId: this.securityGroup.id, ipProtocol: "tcp", fromPort: port, toPort: port, cidrIpv4: cidr, description: "PostgreSQL", tags },
        { parent: this },
      );
    }
    for (const group of new Set(args.allowedSecurityGroupIds ?? [])) {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-from-${group}`,
        { securityGroupId: this.securityGroup.id, ipProtocol: "tcp", fromPort: port, toPort: port, referencedSecurityGroupId: group, description: "PostgreSQL", tags },
        { parent: this },
      );
    }

    if (args.tunnel) {
      this.bastion = new SsmBastion(
        `${name}-bastion`,
        {
          vpcId,
          subnetId: args.tunnel.subnetId ?? pulumi.output(subnetIds).apply((ids) => ids[0]),
          targetSecurityGroupId: this.securityGroup.id,
          port,
          vpcEndpoints: args.tunnel.vpcEndpoints,
          fixedName: `${fixedName.replace(/-server$/, "")}-bastion`,
          tags,
        },
        { parent: this },
      );
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-from-bastion`,
        {
          securityGroupId: this.securityGroup.id,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          referencedSecurityGroupId: this.bastion.securityGroup.id,
          description: "PostgreSQL through the SSM bastion",
          tags,
        },
        { parent: this },
      );
    }

    const parameterGroup = new aws.rds.ParameterGroup(
      `${name}-params`,
      {
        family: `postgres${major}`,
        description: `${fixedName}: TLS only, slow statements and lock waits logged`,
        parameters: [
          // Static before PostgreSQL 15 on RDS: it takes effect at the next reboot (creation is one).
          { name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" },
          { name: "log_min_duration_statement", value: String(args.slowStatementMs ?? 1000), applyMethod: "immediate" },
          // A migration stuck behind a lock is the classic outage; make every wait visible in the log.
          { name: "log_lock_waits", value: "1", applyMethod: "immediate" },
        ],
        tags,
      },
      // Its description forces a replacement too.
      { parent: this, ignoreChanges: ["description"] },
    );

    // A final snapshot needs a name no earlier deletion used; a random suffix kept in state gives one
    // that stays the same across updates.
    const finalSnapshotIdentifier = args.finalSnapshot
      ? pulumi.interpolate`${fixedName}-final-${new random.RandomId(`${name}-final-snapshot-suffix`, { byteLength: 4 }, { parent: this }).hex}`
      : undefined;

    this.instance = new aws.rds.Instance(
      `${name}-instance`,
      {
        engine: "postgres",
        engineVersion,
        autoMinorVersionUpgrade: true,
        allowMajorVersionUpgrade: args.allowMajorVersionUpgrade ?? false,
        applyImmediately: args.applyImmediately ?? false,
        instanceClass: args.instanceClass,
        storageType: "gp3",
        allocatedStorage: args.allocatedStorageGb,
        maxAllocatedStorage: args.maxAllocatedStorageGb,
        storageEncrypted: true,
        kmsKeyId: this.kmsKey.arn,
        username: args.masterUsername ?? "dbpipe_admin",
        manageMasterUserPassword: true,
        masterUserSecretKmsKeyId: this.kmsKey.arn,
        port,
        dbSubnetGroupName: subnetGroup.name,
        vpcSecurityGroupIds: [this.securityGroup.id],
        publiclyAccessible: false,
        parameterGroupName: parameterGroup.name,
        multiAz: args.multiAz,
        backupRetentionPeriod: Math.min(args.backupRetentionDays, RDS_MAX_BACKUP_RETENTION_DAYS),
        copyTagsToSnapshot: true,
        deletionProtection: args.deletionProtection,
        skipFinalSnapshot: !args.finalSnapshot,
        finalSnapshotIdentifier,
        // Whoever wants a final snapshot wants the point-in-time backups kept with it.
        deleteAutomatedBackups: !args.finalSnapshot,
        performanceInsightsEnabled: args.performanceInsights,
        performanceInsightsKmsKeyId: args.performanceInsights ? this.kmsKey.arn : undefined,
        performanceInsightsRetentionPeriod: args.performanceInsights ? 7 : undefined,
        enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
        tags,
      },
      stateful,
    );

    const alarms = args.alarms ?? {};
    const connections = alarms.connections ?? connectionsAlarmThreshold(args.instanceClass);
    const actions = alarms.topicArn ? [alarms.topicArn] : [];
    const alarm = (part: string, spec: Omit<aws.cloudwatch.MetricAlarmArgs, "namespace" | "dimensions" | "tags">) =>
      new aws.cloudwatch.MetricAlarm(
        `${name}-${part}`,
        {
          namespace: "AWS/RDS",
          dimensions: { DBInstanceIdentifier: this.instance.identifier },
          alarmActions: actions,
          okActions: actions,
          tags,
          ...spec,
        },
        { parent: this },
      );
    this.alarms = [
      alarm("cpu-alarm", {
        alarmDescription: `${fixedName}: CPU above ${alarms.cpuPercent ?? 80}% for 15 minutes`,
        metricName: "CPUUtilization",
        statistic: "Average",
        period: 300,
        evaluationPeriods: 3,
        comparisonOperator: "GreaterThanThreshold",
        threshold: alarms.cpuPercent ?? 80,
      }),
      alarm("storage-alarm", {
        alarmDescription: `${fixedName}: less than ${alarms.freeStorageMb ?? 2048} MiB of storage free`,
        metricName: "FreeStorageSpace",
        statistic: "Minimum",
        period: 300,
        evaluationPeriods: 1,
        comparisonOperator: "LessThanThreshold",
        threshold: (alarms.freeStorageMb ?? 2048) * 1024 * 1024,
      }),
      alarm("connections-alarm", {
        alarmDescription: `${fixedName}: more than ${connections} connections for 10 minutes (max_connections about ${maxConnections(args.instanceClass)})`,
        metricName: "DatabaseConnections",
        statistic: "Maximum",
        period: 300,
        evaluationPeriods: 2,
        comparisonOperator: "GreaterThanThreshold",
        threshold: connections,
      }),
    ];

    this.endpoint = pulumi.interpolate`${this.instance.address}:${this.instance.port}`;
    this.masterUserSecretArn = this.instance.masterUserSecrets.apply((secrets) => secrets?.[0]?.secretArn ?? "");
    // RDS rotates the master password (every 7 days by default), so it is never copied into config
    // or state by hand: each `pulumi up` reads the secret's current version, and it stays a secret.
    const masterPassword = pulumi.secret(
      aws.secretsmanager
        .getSecretVersionOutput({ secretId: this.masterUserSecretArn }, { parent: this })
        .secretString.apply((text) => (JSON.parse(text) as { password: string }).password),
    );
    this.connection = {
      adminHost: args.adminEndpoint ? this.adminEndpointHost(args.adminEndpoint, args.tunnel) : this.instance.address,
      adminPort: args.adminEndpoint ? pulumi.output(args.adminEndpoint.port) : this.instance.port,
      adminUser: this.instance.username,
      adminRole: this.instance.username,
      adminPassword: masterPassword,
      adminDatabase: pulumi.output("postgres"),
      tls: args.tls ?? { deploy: "verify-full", urls: "verify-full", rootCert: RDS_CA_BUNDLE },
      directHost: this.instance.address,
      directPort: this.instance.port,
      directUserSuffix: pulumi.output(""),
      pooledHost: this.instance.address,
      pooledPort: this.instance.port,
      pooledUserSuffix: pulumi.output(""),
    };
    this.registerOutputs({ endpoint: this.endpoint, masterUserSecretArn: this.masterUserSecretArn });
  }

  /**
   * The admin endpoint's host, known once the instance (and the bastion) exist and, through a
   * tunnel, once the tunnel's local end accepts connections: the postgresql provider and the
   * migrations wait for it instead of failing at their first connection. Preview never waits.
   */
  private adminEndpointHost(endpoint: HostPort, tunnel: RdsTunnelArgs | undefined): pulumi.Output<string> {
    if (!tunnel || tunnel.waitMs <= 0) return pulumi.all([this.instance.address, this.bastion?.instance.id]).apply(() => endpoint.host);
    return pulumi.all([this.instance.address, this.bastion?.instance.id]).apply(async ([address]) => {
      if (pulumi.runtime.isDryRun()) return endpoint.host;
      const where = `${endpoint.host}:${endpoint.port}`;
      const ready = await waitForPort(endpoint.host, endpoint.port, {
        timeoutMs: tunnel.waitMs,
        onWaiting: () =>
          void pulumi.log.info(
            `waiting for the tunnel at ${where} to ${address}: run \`${tunnel.command}\` in another terminal (the database resources start once it is open)`,
            this,
          ),
      });
      if (!ready) {
        throw new pulumi.RunError(
          `nothing accepted connections at ${where} within ${Math.round(tunnel.waitMs / 1000)}s: start the tunnel with \`${tunnel.command}\` ` +
            "(it needs the AWS CLI and the Session Manager plugin), then run pulumi up again; dbpipe:tunnelWait sets how long pulumi up waits",
        );
      }
      return endpoint.host;
    });
  }
}

/**
 * The account's default VPC in the provider's region, or a clear error where there is none (accounts
 * set up by Control Tower or Landing Zone delete it): the RDS instance then needs a VPC and subnets.
 */
function defaultVpcId(parent: pulumi.Resource): pulumi.Output<string> {
  return aws.ec2.getVpcsOutput({ filters: [{ name: "is-default", values: ["true"] }] }, { parent }).ids.apply((ids) => {
    if (ids.length === 0) {
      throw new pulumi.RunError(
        "this AWS account has no default VPC in the region: set dbpipe:vpcId and dbpipe:subnetIds (private subnets in two availability zones at least) " +
          "to the VPC the database goes in, in the stack's file (Pulumi.<stack>.yaml)",
      );
    }
    return ids[0];
  });
}
