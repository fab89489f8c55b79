import type { RiskLevel, RiskThreshold } from "../risk-level";
import type { SslMode } from "../tls";
import type { Tier } from "./tiers";

/**
 * The shape of a stack's settings: what the config of `Pulumi.<stack>.yaml` (or of the Pulumi
 * runtime) becomes once {@link ./stack-settings!parseStackSettings} has checked it.
 */

/** The config namespace of every dbpipe key (`dbpipe:<key>`), the Pulumi project's name. */
export const CONFIG_NAMESPACE = "dbpipe";

/** A secret config value. `value` is undefined where it cannot be read (encrypted, read by the CLI). */
export interface SecretValue {
  readonly secret: true;
  /** The plain value, when the reader could decrypt it (the Pulumi runtime can; the CLI cannot). */
  readonly value?: string;
}

/** Config as it arrives at the boundary, before any checks. */
export interface RawStackConfig {
  /** The stack's name: dev, test, prod, staging, ... */
  stack: string;
  /** Where the config came from, for messages: `Pulumi.prod.yaml`, or `Pulumi config`. */
  source: string;
  /** Full keys (`dbpipe:tier`, `aws:region`) to values: structured from YAML, strings from Pulumi. */
  values: Record<string, unknown>;
  /** Full keys whose values are secrets. */
  secretKeys: ReadonlySet<string>;
  /** Where each full key stands in `source` (1-based line), when known. */
  lines?: ReadonlyMap<string, number>;
}

/** One approval of a high-risk migration, bound to the migration's content. */
export interface Approval {
  /** The migration's version, as `plan --json` prints it. */
  version: string;
  /** The migration's checksum, as `plan --json` prints it; editing the file voids the approval. */
  checksum: string;
  /** Why it may run. */
  reason: string;
  /** Who approved it (free text, for the record). */
  approvedBy?: string;
}

/** Settings of the migration engine. */
export interface MigrationSettings {
  /** Folder of the migrations, relative to the project. Default `migrations`. */
  dir: string;
  /** Layout of the migrations folder. Default `auto` (detected). */
  layout: MigrationLayoutSetting;
  /** `SET lock_timeout` for each migration, in ms; 0 = no limit. Default by tier: 30s / 10s / 5s. */
  lockTimeoutMs: number;
  /** `SET statement_timeout` for each migration, in ms; 0 = no limit. Default by tier: none / 30min / 30min. */
  statementTimeoutMs: number;
  /** How long a runner waits for another runner's lock on the same database, in ms. Default 2min. */
  lockWaitMs: number;
  /** Whether a pending migration older than the newest applied one may run. Default false. */
  outOfOrder: boolean;
  /** Whether `pulumi refresh` compares the live schema with the migrations' (the MigrationSet's `schemaDrift` output). Default false. */
  schemaDriftOnRefresh: boolean;
}

/** The layouts a migrations folder can have. */
export const MIGRATION_LAYOUTS = ["auto", "dbpipe", "prisma", "drizzle", "plain", "flyway"] as const;

/** A migrations-folder layout, or `auto` to detect it. */
export type MigrationLayoutSetting = (typeof MIGRATION_LAYOUTS)[number];

/** Settings of risk classification and the tier's verdict. */
export interface RiskSettings {
  /** The lowest migration risk that needs a pre-migration backup. Default by tier: never / high / medium. */
  backupBefore: RiskThreshold;
  /** The lowest migration risk refused unless approved. Default by tier: never / never / high. */
  requireApprovalAt: RiskThreshold;
  /** Approvals of high-risk migrations, bound to their checksums. Default none. */
  approvals: Approval[];
  /** Rule id to severity overrides (`off` silences a rule). Default none. */
  ruleSeverity: Record<string, RiskLevel | "off">;
  /** Estimated rows above which a lock-taking or rewriting operation becomes high risk. Default 1,000,000. */
  largeTableRows: number;
}

/** The server modes a stack can declare. */
export const SERVER_MODES = ["rds", "external"] as const;

/** Where the stack's PostgreSQL runs: an RDS instance dbpipe declares, or an existing server. */
export type ServerMode = (typeof SERVER_MODES)[number];

/** Settings of the stack's cloud resources (the Pulumi program). Keys marked rds apply in `rds` mode only. */
export interface InfraSettings {
  /** Server mode. Default `rds`. */
  server: ServerMode;
  /** The application database's name; roles are named after it. Default `app`. */
  databaseName: string;
  /** The schema `<db>_owner` owns and migrations create their tables in. Default: the database name. */
  schemaName: string;
  /** Extensions to create in the database. Default none. */
  extensions: string[];
  /** Days backups are kept (bucket lifecycle and Object Lock, RDS automated backups capped at 35). Default by tier: 7 / 14 / 30. */
  backupRetentionDays: number;
  /** S3 Object Lock on the backup bucket, default retention `backupRetentionDays`. Default by tier: off / off / on; prod must keep it on. */
  backupObjectLock: boolean;
  /** Object Lock retention mode. Default `GOVERNANCE`. */
  backupObjectLockMode: ObjectLockMode;
  /**
   * Whether `pulumi destroy` may delete the backup bucket with the backups in it. Not a key: true
   * outside prod (tearing down a test environment must not stop at a full bucket), never in prod.
   */
  backupForceDestroy: boolean;
  /** Pulumi `protect` on the server, database, bucket and their KMS keys. Default by tier: off / off / on; prod must keep it on. */
  protectResources: boolean;
  /** RDS deletion protection. Default by tier: off / off / on; prod must keep it on. */
  deletionProtection: boolean;
  /** RDS Multi-AZ. Default by tier: off / off / on. */
  multiAz: boolean;
  /** RDS final snapshot on delete. Default by tier: off / off / on; prod must keep it on. */
  finalSnapshot: boolean;
  /** RDS Performance Insights. Default by tier: off / on / on. */
  performanceInsights: boolean;
  /** RDS instance class. Default by tier: db.t4g.micro / db.t4g.small / db.m6g.large. */
  instanceClass: string;
  /** RDS allocated storage in GiB. Default by tier: 20 / 50 / 100. */
  allocatedStorageGb: number;
  /** RDS storage autoscaling ceiling in GiB. Default by tier: 100 / 200 / 1000. */
  maxAllocatedStorageGb: number;
  /** PostgreSQL version of the RDS instance, major or major.minor. Default `15` (pg_dump 15 must be able to dump it). */
  engineVersion: string;
  /** RDS may upgrade the engine's major version in place when engineVersion asks for one. Default by tier: on / on / off. */
  allowMajorVersionUpgrade: boolean;
  /** RDS applies instance changes at once rather than in the maintenance window. Default by tier: on / on / off. */
  applyImmediately: boolean;
  /** Statements slower than this are logged (`log_min_duration_statement`), in ms; -1 = off. Default 1000. */
  slowStatementMs: number;
  /** VPC of the RDS instance. Default: the account's default VPC. */
  vpcId?: string;
  /** Subnets of the RDS subnet group. Default: the VPC's subnets. */
  subnetIds?: string[];
  /** CIDR blocks allowed to reach PostgreSQL. Default none. */
  allowedCidrs: string[];
  /** Security groups allowed to reach PostgreSQL. Default none. */
  allowedSecurityGroupIds: string[];
  /** How `pulumi up` reaches the private RDS instance. No default: an rds stack must choose one. */
  networkPath?: NetworkPath;
  /** Where `pulumi up` reaches the private instance to manage databases and roles and migrate. Default: `localhost:15432` with a tunnel, else the instance's endpoint. */
  adminEndpoint?: HostPort;
  /** With a tunnel: how long `pulumi up` waits for `adminEndpoint` to accept connections, in ms; 0 = no wait. Default 15min. */
  tunnelWaitMs: number;
  /** With a tunnel: the bastion's subnet. Default: the first subnet of the instance's. */
  bastionSubnetId?: string;
  /** With a tunnel: interface VPC endpoints for Systems Manager in the bastion's subnet. Default false. */
  bastionVpcEndpoints: boolean;
  /** SNS topic the CloudWatch alarms notify. Default none (alarms without actions). */
  alarmTopicArn?: string;
  /** CPU alarm threshold, percent. Default 80. */
  alarmCpuPercent: number;
  /** Free storage alarm threshold, MiB. Default 2048. */
  alarmFreeStorageMb: number;
  /** Connections alarm threshold. Default: 80% of the instance class's max_connections (see the key table). */
  alarmConnections: number;
  /** external mode: the direct (unpooled) URL, for migrations and administration. Secret. */
  directUrl?: SecretValue;
  /** external mode: the pooled URL, for applications. Secret. Default: the direct URL. */
  pooledUrl?: SecretValue;
  /**
   * How `pulumi up`'s connections (the postgresql provider, migrations, backups) verify the server.
   * Default: rds `verify-full` over `vpc`, `verify-ca` through the tunnel (the host is localhost
   * there); external: the `sslmode` of `directUrl` when it is one of these, else `require`.
   */
  sslmode: SslMode;
  /** external: the CA file (relative to the project) or `system` that verify-ca/verify-full trust. Default: `system` with verify-full. */
  sslRootCert?: string;
  /** The stack's `aws:region`, when set. Required in prod: the region must not depend on who runs `pulumi up`. */
  awsRegion?: string;
}

/**
 * How `pulumi up` reaches a private RDS instance: `tunnel`, an SSM port forwarding session through a
 * bastion the program declares (`dbpipe tunnel`); `vpc`, from inside the VPC (a CI runner there).
 */
export const NETWORK_PATHS = ["tunnel", "vpc"] as const;

/** A network path to a private RDS instance. */
export type NetworkPath = (typeof NETWORK_PATHS)[number];

/** The local port `dbpipe tunnel` listens on, unless `dbpipe:adminEndpoint` says another. */
export const DEFAULT_TUNNEL_PORT = 15432;

/** S3 Object Lock retention modes. */
export const OBJECT_LOCK_MODES = ["GOVERNANCE", "COMPLIANCE"] as const;

/** An S3 Object Lock retention mode. */
export type ObjectLockMode = (typeof OBJECT_LOCK_MODES)[number];

/** A host and a port. */
export interface HostPort {
  /** Host name or address. */
  host: string;
  /** TCP port. */
  port: number;
}

/** A stack's settings: its tier and every area's settings, with defaults applied. */
export interface StackSettings {
  /** The stack's name. */
  stack: string;
  /** The stack's tier. */
  tier: Tier;
  /** Where the settings came from, for messages. */
  source: string;
  /** Migration engine settings. */
  migrations: MigrationSettings;
  /** Risk classification and verdict settings. */
  risk: RiskSettings;
  /** Cloud resource settings. */
  infra: InfraSettings;
}

// Defined with the other errors, so that the classifier can report a setting without importing settings.
export { SettingsError, type SettingsProblem } from "../errors";

/** The type of a key as `Pulumi.yaml` declares it. */
export type ConfigType = "string" | "integer" | "boolean" | "array";

/** What a reader is told besides the value. */
export interface ReadContext {
  /** The stack's name, for messages that give a command to run. */
  readonly stack: string;
  /** The full key (`dbpipe:directUrl`). */
  readonly fullKey: string;
  /** Whether the stack holds the value as a secret. */
  readonly secret: boolean;
}
