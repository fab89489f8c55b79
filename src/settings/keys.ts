import { formatDuration } from "../text/duration";
import {
  readApprovals,
  readCidrs,
  readExtensions,
  readHostPort,
  readIdentifier,
  readInstanceClass,
  readMatching,
  readRuleSeverity,
  readSchemaName,
  readSecretUrl,
  readSecurityGroupIds,
  readSubnetIds,
} from "./key-readers";
import {
  DEFAULT_TUNNEL_PORT,
  MIGRATION_LAYOUTS,
  NETWORK_PATHS,
  OBJECT_LOCK_MODES,
  SERVER_MODES,
  type ConfigType,
  type ReadContext,
  type StackSettings,
} from "./stack-settings-types";
import { parseDatabaseUrl } from "../database-url";
import { RISK_THRESHOLDS } from "../risk-level";
import { SSL_MODES, type SslMode } from "../tls";
import { connectionsAlarmThreshold } from "./rds-instance-classes";
import { MIN_BACKUP_RETENTION_DAYS, TIERS, type Tier } from "./tiers";
import { readBoolean, readChoice, readDuration, readInteger, readNonEmptyString } from "./values";

/**
 * Every key dbpipe reads from a stack's config, each once: its name, type, reader, default (fixed,
 * by tier, derived from another key, or none), description, and where it lands in the parsed
 * {@link StackSettings}. The parser (`stack-settings.ts`), `Pulumi.yaml`'s config section, `dbpipe
 * env new` and docs/settings.md are all derived from this table; `npm run settings:generate`
 * rewrites the two files, and a test fails when they differ from it.
 *
 * Adding a key: one entry below (in the group where `Pulumi.yaml` should list it), the field it
 * lands in on the settings type, then `npm run settings:generate`.
 */

/** The settings areas a key can land in. */
export type SettingsArea = "migrations" | "risk" | "infra";

/** A field of an area's settings. */
type FieldOf<A extends SettingsArea> = keyof StackSettings[A] & string;

/** A key's default when the stack does not set it. */
export type KeyDefault<T> =
  /** The same in every tier. */
  | { readonly fixed: T }
  /** Each tier's own. */
  | { readonly byTier: Readonly<Record<Tier, T>> }
  /** Computed from the settings read so far (keys earlier in the table); `text` says what it is. */
  | { readonly derived: (settings: StackSettings) => T; readonly text: string }
  /** No value (the field stays undefined); `text` says what happens then. */
  | { readonly none: string };

/** How `dbpipe env new` writes a key into a new stack file. */
export type NewStackEntry =
  /** Written with its value: the environment's identity (tier, server mode, database name). */
  | "identity"
  /** Written with the tier's value, so a dbpipe upgrade cannot change the resource it shapes. */
  | "resource"
  /** Written as a comment with today's value: it follows the tier unless uncommented. */
  | "policy"
  /** Written as a commented example of what can be set. */
  | { readonly example: string }
  /** Written with this value, beside the identity: a choice with no default that every new environment makes. */
  | { readonly written: string };

/** Where a key lands: `tier`, or an area's field. */
export type KeyLanding = "tier" | readonly [SettingsArea, string];

/** One config key. */
export interface KeyEntry<T = unknown> {
  /** The key without namespace (`lockTimeout`); the full key is `dbpipe:<name>`. */
  readonly name: string;
  /** Its type in `Pulumi.yaml`'s config schema (durations are strings; maps are YAML maps or JSON text). */
  readonly type: ConfigType | "object";
  /** For `array` keys: what the list holds. Pulumi.yaml can type lists of strings only. */
  readonly items?: "string" | "map";
  /** Whether the value must be a secret. Default false. */
  readonly secret?: boolean;
  /** The section of `Pulumi.yaml` and of the docs it is listed in. */
  readonly group: KeyGroup;
  /** What it means, one or more sentences, without its default (that is added from `default`). */
  readonly description: string;
  /** Said after the default: a tier's limit (`a stack may lower its tier's, never raise it`). Default none. */
  readonly note?: string;
  /**
   * The value prod requires, and why: the parser refuses any other in a prod-tier stack, and the
   * docs say `prod requires <value>`. Default: none.
   */
  readonly prodRequires?: { readonly value: T; readonly because: string };
  /** Its default. */
  readonly default: KeyDefault<T>;
  /** Reads a value, throwing `ValueProblem` when it does not fit. */
  readonly read: (value: unknown, context: ReadContext) => T;
  /** Where the parsed value lands in the settings. */
  readonly lands: KeyLanding;
  /** A value as a stack file (or `Pulumi.yaml`'s default) writes it: durations as `5s`. Default: as is. */
  readonly write?: (value: T) => string | number | boolean | readonly unknown[] | Readonly<Record<string, unknown>>;
  /** A value as the docs and descriptions show it: `none` for 0 ms. Default: as written. */
  readonly show?: (value: T) => string;
  /** The type as the docs name it, when more precise than `type` (`duration`). Default: `type`. */
  readonly docType?: string;
  /** How `dbpipe env new` writes it. Default: not at all. */
  readonly newStack?: NewStackEntry;
}

/** The sections keys are grouped in, with the comment `Pulumi.yaml` and the docs give each. */
export const KEY_GROUPS = {
  environment: "The environment.",
  migrations: "Migrations (the migration engine; the CLI reads these too).",
  risk: "Risk gates.",
  database: "The server, the database and its roles.",
  backups: "Backups and protection.",
  rds: "rds mode: the RDS instance.",
  network: "rds mode: network. pulumi up must reach the instance on its port to create the database and roles.",
  alarms: "rds mode: CloudWatch alarms.",
  external: "external mode: an existing server. Set these with pulumi config set --secret.",
  tls: "TLS: how pulumi up's connections (the postgresql provider, migrations, backups) verify the server.",
} as const;

/** A section of keys. */
export type KeyGroup = keyof typeof KEY_GROUPS;

/** Declares a key landing in `lands`, its reader and default typed by that field. */
function key<A extends SettingsArea, F extends FieldOf<A>>(entry: Omit<KeyEntry<StackSettings[A][F]>, "lands"> & { lands: readonly [A, F] }): KeyEntry {
  return entry as unknown as KeyEntry;
}

const duration = { docType: "duration", write: (ms: number) => formatDuration(ms), show: (ms: number) => (ms === 0 ? "none" : formatDuration(ms)) };
const showList = (list: readonly unknown[]) => (list.length === 0 ? "none" : list.join(", "));

/** Every key, in the order `Pulumi.yaml` and the docs list them. */
export const KEYS: readonly KeyEntry[] = [
  {
    name: "tier",
    type: "string",
    group: "environment",
    description: "Environment tier: dev, test or prod.",
    note: "a stack named dev, test or prod (in any case: Prod too) must have that tier",
    default: { none: "the stack's name, when it is a tier" },
    read: (v) => readChoice(v, TIERS),
    lands: "tier",
    newStack: "identity",
  } satisfies KeyEntry<Tier>,

  key({
    name: "migrationsDir",
    type: "string",
    group: "migrations",
    description: "Folder of the versioned SQL migrations, relative to the project.",
    default: { fixed: "migrations" },
    read: readNonEmptyString,
    lands: ["migrations", "dir"],
  }),
  key({
    name: "migrationsLayout",
    type: "string",
    group: "migrations",
    description: "Layout of the migrations folder: auto, dbpipe, prisma, drizzle, plain or flyway.",
    default: { fixed: "auto" },
    read: (v) => readChoice(v, MIGRATION_LAYOUTS),
    lands: ["migrations", "layout"],
  }),
  key({
    name: "lockTimeout",
    type: "string",
    group: "migrations",
    description: "lock_timeout for each migration (e.g. 5s; 0 = none; at most 2147483647ms, PostgreSQL's limit).",
    default: { byTier: { dev: 30_000, test: 10_000, prod: 5_000 } },
    read: (v) => readDuration(v),
    lands: ["migrations", "lockTimeoutMs"],
    ...duration,
    newStack: "policy",
  }),
  key({
    name: "statementTimeout",
    type: "string",
    group: "migrations",
    description: "statement_timeout for each migration (e.g. 30min; 0 = none; at most 2147483647ms, PostgreSQL's limit).",
    default: { byTier: { dev: 0, test: 30 * 60_000, prod: 30 * 60_000 } },
    read: (v) => readDuration(v),
    lands: ["migrations", "statementTimeoutMs"],
    ...duration,
    newStack: "policy",
  }),
  key({
    name: "lockWait",
    type: "string",
    group: "migrations",
    description: "How long a runner waits for another runner on the same database.",
    default: { fixed: 120_000 },
    read: (v) => readDuration(v, { maxWhy: "the longest wait Node.js can time" }),
    lands: ["migrations", "lockWaitMs"],
    ...duration,
  }),
  key({
    name: "outOfOrder",
    type: "boolean",
    group: "migrations",
    description: "Allow a pending migration older than the newest applied one.",
    default: { fixed: false },
    read: readBoolean,
    lands: ["migrations", "outOfOrder"],
  }),
  key({
    name: "schemaDriftOnRefresh",
    type: "boolean",
    group: "migrations",
    description:
      "pulumi refresh also compares the database's schema with the one its applied migrations give (applied to a scratch database on an embedded PostgreSQL in .dbpipe/scratch, as dbpipe verify does) and lists each difference in the MigrationSet's schemaDrift output.",
    default: { fixed: false },
    read: readBoolean,
    lands: ["migrations", "schemaDriftOnRefresh"],
  }),

  key({
    name: "backupBefore",
    type: "string",
    group: "risk",
    description: "Lowest migration risk that needs a pre-migration backup: low, medium, high or never.",
    note: "a stack may lower its tier's, never raise it",
    default: { byTier: { dev: "never", test: "high", prod: "medium" } },
    read: (v) => readChoice(v, RISK_THRESHOLDS),
    lands: ["risk", "backupBefore"],
    newStack: "policy",
  }),
  key({
    name: "requireApprovalAt",
    type: "string",
    group: "risk",
    description: "Lowest migration risk refused unless approved: low, medium, high or never.",
    note: "a stack may lower its tier's, never raise it: prod cannot be never",
    default: { byTier: { dev: "never", test: "never", prod: "high" } },
    read: (v) => readChoice(v, RISK_THRESHOLDS),
    lands: ["risk", "requireApprovalAt"],
    newStack: "policy",
  }),
  key({
    name: "approvals",
    type: "array",
    items: "map",
    group: "risk",
    description:
      "Approvals of risky migrations: a list of { version, checksum, reason, approvedBy }, the version quoted (\"0005\"); `dbpipe lint --stack <stack>` prints the entry to add for each migration the stack refuses. Editing an approved file voids its approval.",
    default: { fixed: [] },
    read: readApprovals,
    lands: ["risk", "approvals"],
    show: showList,
  }),
  key({
    name: "ruleSeverity",
    type: "object",
    group: "risk",
    description: "Severity overrides by rule id: low, medium, high or off. An id that is not a rule fails every command and pulumi up.",
    note: "in prod a high rule stays high (raise rules freely; approve a high-risk migration in dbpipe:approvals instead)",
    default: { fixed: {} },
    read: readRuleSeverity,
    lands: ["risk", "ruleSeverity"],
    show: (map) => (Object.keys(map).length === 0 ? "none" : JSON.stringify(map)),
  }),
  key({
    name: "largeTableRows",
    type: "integer",
    group: "risk",
    description: "Estimated rows above which a lock-taking or rewriting operation is high risk.",
    default: { fixed: 1_000_000 },
    read: (v) => readInteger(v, 1),
    lands: ["risk", "largeTableRows"],
  }),

  key({
    name: "server",
    type: "string",
    group: "database",
    description: "Server mode: rds (an RDS instance dbpipe declares) or external (an existing server such as Neon or Supabase, given by dbpipe:directUrl).",
    default: { fixed: "rds" },
    read: (v) => readChoice(v, SERVER_MODES),
    lands: ["infra", "server"],
    newStack: "identity",
  }),
  key({
    name: "databaseName",
    type: "string",
    group: "database",
    description: "Application database name; its roles are <name>_owner, <name>_migrator, <name>_app and <name>_readonly.",
    default: { fixed: "app" },
    read: readIdentifier,
    lands: ["infra", "databaseName"],
    newStack: "identity",
  }),
  key({
    name: "schemaName",
    type: "string",
    group: "database",
    description: "Schema the owner role owns and migrations create their tables in (the roles' search_path).",
    default: { derived: (s) => s.infra.databaseName, text: "the database name" },
    read: readSchemaName,
    lands: ["infra", "schemaName"],
  }),
  key({
    name: "extensions",
    type: "array",
    items: "string",
    group: "database",
    description: "PostgreSQL extensions to create in the database, e.g. [pgcrypto, vector].",
    default: { fixed: [] },
    read: readExtensions,
    lands: ["infra", "extensions"],
    show: showList,
    newStack: { example: "[pgcrypto, vector]" },
  }),

  key({
    name: "backupRetentionDays",
    type: "integer",
    group: "backups",
    description: "Days backups are kept: backup bucket lifecycle, Object Lock retention, RDS automated backups (capped at 35).",
    note: `at least ${TIERS.map((t) => MIN_BACKUP_RETENTION_DAYS[t]).join(" / ")}`,
    default: { byTier: { dev: 7, test: 14, prod: 30 } },
    read: (v) => readInteger(v, 1, 3650),
    lands: ["infra", "backupRetentionDays"],
    newStack: "resource",
  }),
  key({
    name: "backupObjectLock",
    type: "boolean",
    group: "backups",
    description: "S3 Object Lock on the backup bucket with a default retention of dbpipe:backupRetentionDays. Turning it on for an existing environment keeps the bucket and its backups; once on, S3 cannot turn it off.",
    prodRequires: { value: true, because: "backups must not be deletable before their retention ends" },
    default: { byTier: { dev: false, test: false, prod: true } },
    read: readBoolean,
    lands: ["infra", "backupObjectLock"],
    newStack: "resource",
  }),
  key({
    name: "backupObjectLockMode",
    type: "string",
    group: "backups",
    description: "Object Lock mode: GOVERNANCE (users with s3:BypassGovernanceRetention may delete early) or COMPLIANCE (nobody can, not even the root user).",
    default: { fixed: "GOVERNANCE" },
    read: (v) => readChoice(v, OBJECT_LOCK_MODES),
    lands: ["infra", "backupObjectLockMode"],
  }),
  key({
    name: "protectResources",
    type: "boolean",
    group: "backups",
    description: "Pulumi protect on the server, the database, the backup bucket and their KMS keys: pulumi destroy and replacements refuse to touch them.",
    prodRequires: { value: true, because: "pulumi destroy and replacements must not touch the server, database or backups" },
    default: { byTier: { dev: false, test: false, prod: true } },
    read: readBoolean,
    lands: ["infra", "protectResources"],
    newStack: "resource",
  }),

  key({
    name: "deletionProtection",
    type: "boolean",
    group: "rds",
    description: "rds: RDS deletion protection.",
    prodRequires: { value: true, because: "a prod database must not be deletable by one command" },
    default: { byTier: { dev: false, test: false, prod: true } },
    read: readBoolean,
    lands: ["infra", "deletionProtection"],
    newStack: "resource",
  }),
  key({
    name: "multiAz",
    type: "boolean",
    group: "rds",
    description: "rds: RDS Multi-AZ.",
    default: { byTier: { dev: false, test: false, prod: true } },
    read: readBoolean,
    lands: ["infra", "multiAz"],
    newStack: "resource",
  }),
  key({
    name: "finalSnapshot",
    type: "boolean",
    group: "rds",
    description: "rds: RDS final snapshot on delete (and automated backups kept after it).",
    prodRequires: { value: true, because: "deleting the instance must leave a final snapshot" },
    default: { byTier: { dev: false, test: false, prod: true } },
    read: readBoolean,
    lands: ["infra", "finalSnapshot"],
    newStack: "resource",
  }),
  key({
    name: "performanceInsights",
    type: "boolean",
    group: "rds",
    description: "rds: RDS Performance Insights (7 days, encrypted with the server's KMS key).",
    default: { byTier: { dev: false, test: true, prod: true } },
    read: readBoolean,
    lands: ["infra", "performanceInsights"],
    newStack: "resource",
  }),
  key({
    name: "instanceClass",
    type: "string",
    group: "rds",
    description: "rds: RDS instance class.",
    default: { byTier: { dev: "db.t4g.micro", test: "db.t4g.small", prod: "db.m6g.large" } },
    read: readInstanceClass,
    lands: ["infra", "instanceClass"],
    newStack: "resource",
  }),
  key({
    name: "allocatedStorageGb",
    type: "integer",
    group: "rds",
    description: "rds: RDS allocated storage in GiB (gp3).",
    default: { byTier: { dev: 20, test: 50, prod: 100 } },
    read: (v) => readInteger(v, 20, 65536),
    lands: ["infra", "allocatedStorageGb"],
    newStack: "resource",
  }),
  key({
    name: "maxAllocatedStorageGb",
    type: "integer",
    group: "rds",
    description: "rds: RDS storage autoscaling ceiling in GiB.",
    default: { byTier: { dev: 100, test: 200, prod: 1000 } },
    read: (v) => readInteger(v, 20, 65536),
    lands: ["infra", "maxAllocatedStorageGb"],
    newStack: "resource",
  }),
  key({
    name: "engineVersion",
    type: "string",
    group: "rds",
    description: "rds: PostgreSQL version of the RDS instance, major (15) or major.minor (15.8); pg_dump must be at least this major version.",
    default: { fixed: "15" },
    read: (v) => readMatching(v, /^\d+(\.\d+)?$/, "a PostgreSQL version such as 15 or 15.8"),
    lands: ["infra", "engineVersion"],
    newStack: "resource",
  }),
  key({
    name: "allowMajorVersionUpgrade",
    type: "boolean",
    group: "rds",
    description:
      "rds: let a change of dbpipe:engineVersion to a new major version upgrade the instance in place (RDS refuses a major upgrade without it). Take a backup and test the upgrade first.",
    default: { byTier: { dev: true, test: true, prod: false } },
    read: readBoolean,
    lands: ["infra", "allowMajorVersionUpgrade"],
    newStack: "resource",
  }),
  key({
    name: "applyImmediately",
    type: "boolean",
    group: "rds",
    description:
      "rds: apply instance changes (class, storage, version, parameters that need one) at once, with the restart they may need, instead of in the next maintenance window.",
    default: { byTier: { dev: true, test: true, prod: false } },
    read: readBoolean,
    lands: ["infra", "applyImmediately"],
    newStack: "resource",
  }),
  key({
    name: "slowStatementMs",
    type: "integer",
    group: "rds",
    description: "rds: log statements slower than this many milliseconds (log_min_duration_statement; -1 = off).",
    default: { fixed: 1000 },
    // PostgreSQL's own range for log_min_duration_statement: -1 to INT_MAX.
    read: (v) => readInteger(v, -1, 2_147_483_647),
    lands: ["infra", "slowStatementMs"],
  }),

  key({
    name: "networkPath",
    type: "string",
    group: "network",
    description:
      "rds: how pulumi up reaches the private instance: tunnel (dbpipe declares an SSM-managed bastion with no inbound ports; run dbpipe tunnel --stack <stack> beside pulumi up, which connects through dbpipe:adminEndpoint) or vpc (pulumi up runs inside the VPC, e.g. a CI runner there, let in by dbpipe:allowedCidrs or dbpipe:allowedSecurityGroupIds).",
    default: { none: "none; required when dbpipe:server is rds" },
    read: (v) => readChoice(v, NETWORK_PATHS),
    lands: ["infra", "networkPath"],
    newStack: { written: "tunnel" },
  }),
  key({
    name: "vpcId",
    type: "string",
    group: "network",
    description: "rds: VPC of the RDS instance, e.g. vpc-0abc123.",
    default: { none: "the account's default VPC" },
    read: (v) => readMatching(v, /^vpc-[0-9a-f]+$/, "a VPC id such as vpc-0abc123"),
    lands: ["infra", "vpcId"],
    newStack: { example: "vpc-0abc1234" },
  }),
  key({
    name: "subnetIds",
    type: "array",
    items: "string",
    group: "network",
    description: "rds: subnets of the RDS subnet group (at least two availability zones).",
    default: { none: "every subnet of the VPC" },
    read: readSubnetIds,
    lands: ["infra", "subnetIds"],
    newStack: { example: "[subnet-0abc1234, subnet-0def5678]" },
  }),
  key({
    name: "allowedCidrs",
    type: "array",
    items: "string",
    group: "network",
    description: "rds: CIDR blocks allowed to reach PostgreSQL on its port, e.g. [10.0.0.0/16].",
    default: { fixed: [] },
    read: readCidrs,
    lands: ["infra", "allowedCidrs"],
    show: showList,
    newStack: { example: "[10.0.0.0/16]" },
  }),
  key({
    name: "allowedSecurityGroupIds",
    type: "array",
    items: "string",
    group: "network",
    description: "rds: security groups allowed to reach PostgreSQL on its port, e.g. [sg-0abc123].",
    default: { fixed: [] },
    read: readSecurityGroupIds,
    lands: ["infra", "allowedSecurityGroupIds"],
    show: showList,
    newStack: { example: "[sg-0abc1234]" },
  }),
  key({
    name: "adminEndpoint",
    type: "string",
    group: "network",
    description:
      "rds: host:port the postgresql provider and the migrations connect to during pulumi up instead of the instance's endpoint; with networkPath tunnel, the local end of dbpipe tunnel (on this machine).",
    default: {
      derived: (s) => (s.infra.networkPath === "tunnel" ? { host: "localhost", port: DEFAULT_TUNNEL_PORT } : undefined),
      text: `localhost:${DEFAULT_TUNNEL_PORT} with networkPath tunnel, else the instance's own endpoint`,
    },
    read: readHostPort,
    lands: ["infra", "adminEndpoint"],
    show: (v) => (v === undefined ? "none" : `${v.host}:${v.port}`),
    newStack: { example: `localhost:${DEFAULT_TUNNEL_PORT}` },
  }),
  key({
    name: "tunnelWait",
    type: "string",
    group: "network",
    description:
      "rds, networkPath tunnel: how long pulumi up waits for dbpipe:adminEndpoint to accept connections (dbpipe tunnel started) before it gives up; 0 = do not wait.",
    default: { fixed: 15 * 60_000 },
    read: (v) => readDuration(v, { maxWhy: "the longest wait Node.js can time" }),
    lands: ["infra", "tunnelWaitMs"],
    ...duration,
  }),
  key({
    name: "bastionSubnetId",
    type: "string",
    group: "network",
    description:
      "rds, networkPath tunnel: subnet of the SSM bastion. It needs a route to Systems Manager: a NAT gateway, an internet gateway with a public address (a default VPC's subnets), or dbpipe:bastionVpcEndpoints.",
    default: { none: "the first subnet of the instance's subnet group" },
    read: (v) => readMatching(v, /^subnet-[0-9a-f]+$/, "a subnet id such as subnet-0abc123"),
    lands: ["infra", "bastionSubnetId"],
    newStack: { example: "subnet-0abc1234" },
  }),
  key({
    name: "bastionVpcEndpoints",
    type: "boolean",
    group: "network",
    description:
      "rds, networkPath tunnel: declare the interface VPC endpoints Systems Manager needs (ssm, ssmmessages, ec2messages) in the bastion's subnet, for a private subnet without a NAT gateway.",
    default: { fixed: false },
    read: readBoolean,
    lands: ["infra", "bastionVpcEndpoints"],
  }),

  key({
    name: "alarmTopicArn",
    type: "string",
    group: "alarms",
    description: "rds: SNS topic ARN the CloudWatch alarms notify.",
    default: { none: "none (alarms without actions)" },
    read: (v) => readMatching(v, /^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]+$/, "an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:alerts"),
    lands: ["infra", "alarmTopicArn"],
    newStack: { example: "arn:aws:sns:eu-west-1:123456789012:database-alerts" },
  }),
  key({
    name: "alarmCpuPercent",
    type: "integer",
    group: "alarms",
    description: "rds: CPU utilisation alarm threshold, percent.",
    default: { fixed: 80 },
    read: (v) => readInteger(v, 1, 100),
    lands: ["infra", "alarmCpuPercent"],
  }),
  key({
    name: "alarmFreeStorageMb",
    type: "integer",
    group: "alarms",
    description: "rds: free storage alarm threshold, MiB.",
    default: { fixed: 2048 },
    read: (v) => readInteger(v, 1),
    lands: ["infra", "alarmFreeStorageMb"],
  }),
  key({
    name: "alarmConnections",
    type: "integer",
    group: "alarms",
    description:
      "rds: database connections alarm threshold. The default follows the instance class: RDS gives PostgreSQL max_connections = LEAST(DBInstanceClassMemory/9531392, 5000), and dbpipe estimates it from the class's memory less 512 MiB for what RDS keeps (db.t4g.micro 56, db.t4g.small 168, db.m6g.large 844), erring low.",
    default: { derived: (s) => connectionsAlarmThreshold(s.infra.instanceClass), text: "80% of the instance class's max_connections" },
    read: (v) => readInteger(v, 1),
    lands: ["infra", "alarmConnections"],
  }),

  key({
    name: "directUrl",
    type: "string",
    secret: true,
    group: "external",
    description:
      "external: direct (unpooled) PostgreSQL URL of an administrator, for migrations and administration by pulumi up (dbpipe commands connect to --database-url or DATABASE_URL_DIRECT instead). Must be a secret: pulumi config set --secret directUrl <url>.",
    default: { none: "none; pulumi up requires it when dbpipe:server is external" },
    read: readSecretUrl,
    lands: ["infra", "directUrl"],
  }),
  key({
    name: "pooledUrl",
    type: "string",
    secret: true,
    group: "external",
    description: "external: pooled PostgreSQL URL (PgBouncer, Supavisor) applications connect through. Must be a secret.",
    default: { none: "dbpipe:directUrl" },
    read: readSecretUrl,
    lands: ["infra", "pooledUrl"],
  }),

  key({
    name: "sslmode",
    type: "string",
    group: "tls",
    description:
      "libpq sslmode of every connection pulumi up makes: require (encrypted, server not verified), verify-ca (its certificate signed by a trusted CA) or verify-full (signed, and naming the host). rds: trusts the RDS CA bundle dbpipe ships (certs/rds-ca-bundle.pem); through the tunnel the host is localhost, which the certificate cannot name, so verify-full is refused there, and the URLs in the outputs (at the instance's own name) use verify-full. external: trusts dbpipe:sslRootCert. The outputs' tls says what is used.",
    default: { derived: defaultSslMode, text: "rds: verify-full with networkPath vpc, verify-ca with tunnel; external: dbpipe:directUrl's sslmode when it is one of these, else require" },
    read: (v) => readChoice(v, SSL_MODES),
    lands: ["infra", "sslmode"],
  }),
  key({
    name: "sslRootCert",
    type: "string",
    group: "tls",
    description:
      "external: the certificate authorities verify-ca and verify-full trust: a PEM file, relative to the project (Supabase: the CA certificate from the project's Database settings), or system for the machine's trusted roots (Neon's certificates are publicly trusted; libpq tools read system from version 16).",
    default: { none: "system with verify-full" },
    read: readNonEmptyString,
    lands: ["infra", "sslRootCert"],
  }),
];

/** dbpipe:sslmode's default: what the network path allows on rds, what the admin URL says on external hosts. */
function defaultSslMode(s: StackSettings): SslMode {
  if (s.infra.server === "rds") return s.infra.networkPath === "tunnel" ? "verify-ca" : "verify-full";
  let fromUrl: string | null = null;
  try {
    fromUrl = s.infra.directUrl?.value === undefined ? null : parseDatabaseUrl(s.infra.directUrl.value).searchParams.get("sslmode");
  } catch {
    // dbpipe:directUrl's own problem is reported under its key.
  }
  return (SSL_MODES as readonly string[]).includes(fromUrl ?? "") ? (fromUrl as SslMode) : "require";
}

/** Keys by name. */
export const KEYS_BY_NAME: ReadonlyMap<string, KeyEntry> = new Map(KEYS.map((k) => [k.name, k]));

/** A key's entry; throws for a name that is not a key (a mistake in dbpipe's own code). */
export function keyEntry(name: string): KeyEntry {
  const entry = KEYS_BY_NAME.get(name);
  if (entry === undefined) throw new Error(`no settings key ${name}`);
  return entry;
}

/** The key's default in `tier`, as the parser applies it; undefined for a derived default or none. */
export function tierDefault(entry: KeyEntry, tier: Tier): unknown {
  const d = entry.default;
  if ("fixed" in d) return d.fixed;
  if ("byTier" in d) return d.byTier[tier];
  return undefined;
}

/** A value as a stack file writes it (`5s` for 5000 ms). */
export function writtenValue(entry: KeyEntry, value: unknown): unknown {
  return entry.write ? entry.write(value) : value;
}

/** A value as the docs show it (`none` for no timeout). */
export function shownValue(entry: KeyEntry, value: unknown): string {
  if (entry.show) return entry.show(value);
  const written = writtenValue(entry, value);
  return typeof written === "string" ? written : JSON.stringify(written);
}

/** The key's default in words: `2min`, `by tier: 30s / 10s / 5s`, `the database name`. */
export function defaultText(entry: KeyEntry): string {
  const d = entry.default;
  if ("fixed" in d) return shownValue(entry, d.fixed);
  if ("byTier" in d) return `by tier: ${TIERS.map((t) => shownValue(entry, d.byTier[t])).join(" / ")}`;
  if ("derived" in d) return d.text;
  return d.none;
}

/** The key's full description: what it means, its default, and the tier's limit if any. */
export function keyDescription(entry: KeyEntry): string {
  const d = defaultText(entry);
  const sentence = d.startsWith("by tier: ") ? `Default by tier: ${d.slice("by tier: ".length)}` : `Default: ${d}`;
  const note = keyNote(entry);
  return `${entry.description} ${sentence}${note ? `; ${note}` : ""}.`;
}

/** What the docs say after a key's default: its note and what prod requires (`prod requires true`), or undefined. */
export function keyNote(entry: KeyEntry): string | undefined {
  const notes = [entry.note, entry.prodRequires && `prod requires ${shownValue(entry, entry.prodRequires.value)}`].filter((n): n is string => n !== undefined);
  return notes.length > 0 ? notes.join("; ") : undefined;
}

/**
 * The value that stands for "not set", for keys whose default is not a value a stack file could
 * hold (by tier, derived, none) or is an empty list or map: `""`, `[]` or `{}`. `Pulumi.yaml`
 * declares it as such a key's default, because Pulumi stops a stack that lacks a declared key with
 * no default ("Stack 'dev' is missing configuration value"). Keys with another fixed default have
 * none: an empty value there is an error.
 */
export function unsetValue(entry: KeyEntry): "" | [] | Record<string, never> | undefined {
  const d = entry.default;
  if ("fixed" in d) {
    if (Array.isArray(d.fixed) && d.fixed.length === 0) return [];
    if (d.fixed !== null && typeof d.fixed === "object" && !Array.isArray(d.fixed) && Object.keys(d.fixed).length === 0) return {};
    return undefined;
  }
  if (entry.type === "array") return [];
  if (entry.type === "object") return {};
  return "";
}

/** Returns true when `value` is the key's unset value, structured (from YAML) or as Pulumi passes it (a string). */
export function isUnsetValue(entry: KeyEntry, value: unknown): boolean {
  if (unsetValue(entry) === undefined) return false;
  if (value === "") return true;
  const empty = typeof value === "string" ? value.trim() : value;
  if (entry.type === "array") return empty === "[]" || (Array.isArray(empty) && empty.length === 0);
  if (entry.type === "object") {
    return empty === "{}" || (empty !== null && typeof empty === "object" && !Array.isArray(empty) && Object.keys(empty).length === 0);
  }
  return false;
}
