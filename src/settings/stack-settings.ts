import { InputError } from "../errors";
import { RISK_LEVELS, TIER_DEFAULTS, TIERS, isTier, type RiskLevel, type RiskThreshold, type Tier } from "./tiers";
import {
  ValueProblem,
  describe,
  readBoolean,
  readChoice,
  readDuration,
  readInteger,
  readMap,
  readNonEmptyString,
  readString,
  readStringList,
  readStructured,
} from "./values";

/**
 * A stack's settings, parsed once at the boundary. Untrusted config in (from `Pulumi.<stack>.yaml`
 * or from the Pulumi runtime), one typed object out, or a {@link SettingsError} that lists every
 * problem at once, each naming its key.
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
  /** Where `pulumi up` reaches the private instance to manage databases and roles. Default: the instance's endpoint. */
  adminEndpoint?: HostPort;
  /** SNS topic the CloudWatch alarms notify. Default none (alarms without actions). */
  alarmTopicArn?: string;
  /** CPU alarm threshold, percent. Default 80. */
  alarmCpuPercent: number;
  /** Free storage alarm threshold, MiB. Default 2048. */
  alarmFreeStorageMb: number;
  /** Connections alarm threshold. Default 100. */
  alarmConnections: number;
  /** external mode: the direct (unpooled) URL, for migrations and administration. Secret. */
  directUrl?: SecretValue;
  /** external mode: the pooled URL, for applications. Secret. Default: the direct URL. */
  pooledUrl?: SecretValue;
  /** The stack's `aws:region`, when set. Required in prod: the region must not depend on who runs `pulumi up`. */
  awsRegion?: string;
}

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

/** One problem with a stack's config. */
export interface SettingsProblem {
  /** The full key, e.g. `dbpipe:backupRetentionDays`. */
  key: string;
  /** What is wrong and, where useful, what to do. */
  message: string;
  /** Line in the source file, when known. */
  line?: number;
}

/** Invalid stack config: every problem found, each naming its key. */
export class SettingsError extends InputError {
  constructor(
    readonly source: string,
    readonly problems: readonly SettingsProblem[],
  ) {
    super(
      `${source}: invalid stack settings:\n` +
        problems.map((p) => `  ${source}${p.line ? `:${p.line}` : ""}: ${p.key}: ${p.message}`).join("\n"),
    );
  }
}

/** The type of a key as `Pulumi.yaml` declares it. */
export type ConfigType = "string" | "integer" | "boolean" | "array";

/** One config key: its type, description and default, for parsing and for `Pulumi.yaml`. */
export interface KeySpec {
  /** The key without namespace (`tier`). */
  name: string;
  /** Its type in `Pulumi.yaml`'s config schema (durations are strings, maps are strings or YAML maps). */
  type: ConfigType | "object";
  /** What it means, with its default. */
  description: string;
  /** A default that does not depend on the tier, as `Pulumi.yaml` declares it. */
  default?: string | number | boolean;
  /** Whether it must be a secret. */
  secret?: boolean;
  /** For `array` keys: what the list holds. Pulumi.yaml can type lists of strings only. */
  items?: "string" | "map";
}

/** Every key dbpipe reads from a stack's config, in the order `Pulumi.yaml` declares them. */
export const KEY_SPECS: readonly KeySpec[] = [
  { name: "tier", type: "string", description: "Environment tier: dev, test or prod. Default: the stack's name when it is a tier." },
  { name: "migrationsDir", type: "string", description: "Folder of the versioned SQL migrations, relative to the project.", default: "migrations" },
  { name: "migrationsLayout", type: "string", description: "Layout of the migrations folder: auto, dbpipe, prisma, drizzle or plain.", default: "auto" },
  { name: "lockTimeout", type: "string", description: "lock_timeout for each migration (e.g. 5s; 0 = none). Default by tier: 30s / 10s / 5s." },
  { name: "statementTimeout", type: "string", description: "statement_timeout for each migration (e.g. 30min; 0 = none). Default by tier: none / 30min / 30min." },
  { name: "lockWait", type: "string", description: "How long a runner waits for another runner on the same database.", default: "2min" },
  { name: "outOfOrder", type: "boolean", description: "Allow a pending migration older than the newest applied one.", default: false },
  { name: "backupBefore", type: "string", description: "Lowest migration risk that needs a pre-migration backup: low, medium, high or never. Default by tier: never / high / medium." },
  { name: "requireApprovalAt", type: "string", description: "Lowest migration risk refused unless approved: low, medium, high or never. Default by tier: never / never / high." },
  { name: "approvals", type: "array", items: "map", description: "Approvals of risky migrations: a list of { version, checksum, reason, approvedBy }. Editing an approved file voids its approval." },
  { name: "ruleSeverity", type: "object", description: "Severity overrides by rule id: low, medium, high or off." },
  { name: "largeTableRows", type: "integer", description: "Estimated rows above which a lock-taking or rewriting operation is high risk.", default: 1_000_000 },
  { name: "server", type: "string", description: "Server mode: rds (an RDS instance dbpipe declares) or external (an existing server such as Neon or Supabase, given by dbpipe:directUrl).", default: "rds" },
  { name: "databaseName", type: "string", description: "Application database name; its roles are <name>_owner, <name>_migrator, <name>_app and <name>_readonly.", default: "app" },
  { name: "schemaName", type: "string", description: "Schema the owner role owns and migrations create their tables in (the roles' search_path). Default: the database name." },
  { name: "extensions", type: "array", items: "string", description: "PostgreSQL extensions to create in the database, e.g. [pgcrypto, vector]. Default none." },
  { name: "backupRetentionDays", type: "integer", description: "Days backups are kept: backup bucket lifecycle, Object Lock retention, RDS automated backups (capped at 35). Default by tier: 7 / 14 / 30; at least 1 / 7 / 30." },
  { name: "backupObjectLock", type: "boolean", description: "S3 Object Lock on the backup bucket with a default retention of dbpipe:backupRetentionDays. Only takes effect on a new bucket. Default by tier: false / false / true; prod requires true." },
  { name: "backupObjectLockMode", type: "string", description: "Object Lock mode: GOVERNANCE (users with s3:BypassGovernanceRetention may delete early) or COMPLIANCE (nobody can, not even the root user).", default: "GOVERNANCE" },
  { name: "protectResources", type: "boolean", description: "Pulumi protect on the server, the database, the backup bucket and their KMS keys: pulumi destroy and replacements refuse to touch them. Default by tier: false / false / true; prod requires true." },
  { name: "deletionProtection", type: "boolean", description: "rds: RDS deletion protection. Default by tier: false / false / true; prod requires true." },
  { name: "multiAz", type: "boolean", description: "rds: RDS Multi-AZ. Default by tier: false / false / true." },
  { name: "finalSnapshot", type: "boolean", description: "rds: RDS final snapshot on delete (and automated backups kept after it). Default by tier: false / false / true; prod requires true." },
  { name: "performanceInsights", type: "boolean", description: "rds: RDS Performance Insights (7 days, encrypted with the server's KMS key). Default by tier: false / true / true." },
  { name: "instanceClass", type: "string", description: "rds: RDS instance class. Default by tier: db.t4g.micro / db.t4g.small / db.m6g.large." },
  { name: "allocatedStorageGb", type: "integer", description: "rds: RDS allocated storage in GiB (gp3). Default by tier: 20 / 50 / 100." },
  { name: "maxAllocatedStorageGb", type: "integer", description: "rds: RDS storage autoscaling ceiling in GiB. Default by tier: 100 / 200 / 1000." },
  { name: "engineVersion", type: "string", description: "rds: PostgreSQL version of the RDS instance, major (15) or major.minor (15.8); pg_dump must be at least this major version.", default: "15" },
  { name: "slowStatementMs", type: "integer", description: "rds: log statements slower than this many milliseconds (log_min_duration_statement; -1 = off).", default: 1000 },
  { name: "vpcId", type: "string", description: "rds: VPC of the RDS instance, e.g. vpc-0abc123. Default: the account's default VPC." },
  { name: "subnetIds", type: "array", items: "string", description: "rds: subnets of the RDS subnet group (at least two availability zones). Default: every subnet of the VPC." },
  { name: "allowedCidrs", type: "array", items: "string", description: "rds: CIDR blocks allowed to reach PostgreSQL on its port, e.g. [10.0.0.0/16]. Default none." },
  { name: "allowedSecurityGroupIds", type: "array", items: "string", description: "rds: security groups allowed to reach PostgreSQL on its port, e.g. [sg-0abc123]. Default none." },
  { name: "adminEndpoint", type: "string", description: "rds: host:port pulumi up uses to reach the private instance for databases and roles, e.g. localhost:15432 through an SSM tunnel. Default: the instance's own endpoint." },
  { name: "alarmTopicArn", type: "string", description: "rds: SNS topic ARN the CloudWatch alarms notify. Default none (alarms without actions)." },
  { name: "alarmCpuPercent", type: "integer", description: "rds: CPU utilisation alarm threshold, percent.", default: 80 },
  { name: "alarmFreeStorageMb", type: "integer", description: "rds: free storage alarm threshold, MiB.", default: 2048 },
  { name: "alarmConnections", type: "integer", description: "rds: database connections alarm threshold.", default: 100 },
  { name: "directUrl", type: "string", secret: true, description: "external: direct (unpooled) PostgreSQL URL of an administrator, for migrations and administration. Must be a secret: pulumi config set --secret directUrl <url>." },
  { name: "pooledUrl", type: "string", secret: true, description: "external: pooled PostgreSQL URL (PgBouncer, Supavisor) applications connect through. Must be a secret. Default: dbpipe:directUrl." },
];

const KEY_SPECS_BY_NAME = new Map(KEY_SPECS.map((k) => [k.name, k]));

/**
 * The value that stands for "not set" for a key without a fixed default: `""`, or an empty list or
 * map for list and map keys. Pulumi.yaml declares it as such a key's default, because Pulumi fails
 * a stack that lacks a declared key with no default ("Stack 'dev' is missing configuration value").
 * Keys with a fixed default have none: an empty value there is an error, as it always was.
 */
export function unsetValue(spec: KeySpec): "" | [] | Record<string, never> | undefined {
  if (spec.default !== undefined) return undefined;
  if (spec.type === "array") return [];
  if (spec.type === "object") return {};
  return "";
}

/** Returns true when `value` is `spec`'s unset value, structured (from YAML) or as Pulumi passes it (a string). */
export function isUnsetValue(spec: KeySpec, value: unknown): boolean {
  if (spec.default !== undefined) return false;
  if (value === "") return true;
  const empty = typeof value === "string" ? value.trim() : value;
  if (spec.type === "array") return empty === "[]" || (Array.isArray(empty) && empty.length === 0);
  if (spec.type === "object") {
    return empty === "{}" || (empty !== null && typeof empty === "object" && !Array.isArray(empty) && Object.keys(empty).length === 0);
  }
  return false;
}

/** Returns the tier a stack name implies, when the name is a tier. */
export function tierOfStackName(stack: string): Tier | undefined {
  return isTier(stack) ? stack : undefined;
}

/**
 * Parses and validates a stack's config. Reports every problem at once in a {@link SettingsError};
 * keys outside the `dbpipe` namespace (aws:region, ...) belong to other packages and are ignored.
 */
export function parseStackSettings(raw: RawStackConfig): StackSettings {
  const problems: SettingsProblem[] = [];
  const values = new Map<string, unknown>();
  const prefix = `${CONFIG_NAMESPACE}:`;
  for (const [fullKey, value] of Object.entries(raw.values)) {
    if (!fullKey.startsWith(prefix)) continue;
    const name = fullKey.slice(prefix.length);
    const spec = KEY_SPECS_BY_NAME.get(name);
    if (spec === undefined) {
      problems.push({ key: fullKey, message: `unknown key${suggestKey(name)}`, line: raw.lines?.get(fullKey) });
      continue;
    }
    // Pulumi applies Pulumi.yaml's defaults before the program sees its config, so a key without a
    // fixed default is declared there with its "unset" value; reading that value as absent is what
    // lets the tier (or the key's documented fallback) decide, on `pulumi up` as in the CLI.
    if (isUnsetValue(spec, value)) continue;
    values.set(name, value);
  }

  /** Reads one key with `reader`, recording a problem (and returning undefined) when it does not fit. */
  function read<T>(name: string, reader: (value: unknown) => T): T | undefined {
    if (!values.has(name)) return undefined;
    const fullKey = prefix + name;
    try {
      return reader(values.get(name));
    } catch (error) {
      if (!(error instanceof ValueProblem)) throw error;
      problems.push({ key: fullKey, message: error.message, line: raw.lines?.get(fullKey) });
      return undefined;
    }
  }
  function problem(name: string, message: string): void {
    const fullKey = prefix + name;
    problems.push({ key: fullKey, message, line: raw.lines?.get(fullKey) });
  }

  let tier = read("tier", (v) => readChoice(v, TIERS));
  if (tier === undefined && !values.has("tier")) {
    tier = tierOfStackName(raw.stack);
    if (tier === undefined) problem("tier", `is required: stack "${raw.stack}" is not named after a tier, so set dbpipe:tier to one of ${TIERS.join(", ")}`);
  }
  const t = TIER_DEFAULTS[tier ?? "prod"];
  const riskOrNever = [...RISK_LEVELS, "never"] as const;

  const migrations: MigrationSettings = {
    dir: read("migrationsDir", readNonEmptyString) ?? "migrations",
    layout: read("migrationsLayout", (v) => readChoice(v, MIGRATION_LAYOUTS)) ?? "auto",
    lockTimeoutMs: read("lockTimeout", readDuration) ?? t.lockTimeoutMs,
    statementTimeoutMs: read("statementTimeout", readDuration) ?? t.statementTimeoutMs,
    lockWaitMs: read("lockWait", readDuration) ?? 120_000,
    outOfOrder: read("outOfOrder", readBoolean) ?? false,
  };

  const risk: RiskSettings = {
    backupBefore: read("backupBefore", (v) => readChoice(v, riskOrNever)) ?? t.backupBefore,
    requireApprovalAt: read("requireApprovalAt", (v) => readChoice(v, riskOrNever)) ?? t.requireApprovalAt,
    approvals: read("approvals", readApprovals) ?? [],
    ruleSeverity: read("ruleSeverity", readRuleSeverity) ?? {},
    largeTableRows: read("largeTableRows", (v) => readInteger(v, 1)) ?? 1_000_000,
  };

  const databaseName = read("databaseName", readIdentifier) ?? "app";
  const backupObjectLock = read("backupObjectLock", readBoolean) ?? t.backupObjectLock;
  const infra: InfraSettings = {
    server: read("server", (v) => readChoice(v, SERVER_MODES)) ?? "rds",
    databaseName,
    schemaName: read("schemaName", readSchemaName) ?? databaseName,
    extensions: read("extensions", readExtensions) ?? [],
    backupRetentionDays: read("backupRetentionDays", (v) => readInteger(v, 1, 3650)) ?? t.backupRetentionDays,
    backupObjectLock,
    backupObjectLockMode: read("backupObjectLockMode", (v) => readChoice(v, OBJECT_LOCK_MODES)) ?? "GOVERNANCE",
    backupForceDestroy: tier !== "prod",
    protectResources: read("protectResources", readBoolean) ?? t.protectResources,
    deletionProtection: read("deletionProtection", readBoolean) ?? t.deletionProtection,
    multiAz: read("multiAz", readBoolean) ?? t.multiAz,
    finalSnapshot: read("finalSnapshot", readBoolean) ?? t.finalSnapshot,
    performanceInsights: read("performanceInsights", readBoolean) ?? t.performanceInsights,
    instanceClass: read("instanceClass", readInstanceClass) ?? t.instanceClass,
    allocatedStorageGb: read("allocatedStorageGb", (v) => readInteger(v, 20, 65536)) ?? t.allocatedStorageGb,
    maxAllocatedStorageGb: read("maxAllocatedStorageGb", (v) => readInteger(v, 20, 65536)) ?? t.maxAllocatedStorageGb,
    engineVersion: read("engineVersion", (v) => readMatching(v, /^\d+(\.\d+)?$/, "a PostgreSQL version such as 15 or 15.8")) ?? "15",
    slowStatementMs: read("slowStatementMs", (v) => readInteger(v, -1)) ?? 1000,
    vpcId: read("vpcId", (v) => readMatching(v, /^vpc-[0-9a-f]+$/, "a VPC id such as vpc-0abc123")),
    subnetIds: read("subnetIds", readSubnetIds),
    allowedCidrs: read("allowedCidrs", readCidrs) ?? [],
    allowedSecurityGroupIds: read("allowedSecurityGroupIds", readSecurityGroupIds) ?? [],
    adminEndpoint: read("adminEndpoint", readHostPort),
    alarmTopicArn: read("alarmTopicArn", (v) => readMatching(v, /^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]+$/, "an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:alerts")),
    alarmCpuPercent: read("alarmCpuPercent", (v) => readInteger(v, 1, 100)) ?? 80,
    alarmFreeStorageMb: read("alarmFreeStorageMb", (v) => readInteger(v, 1)) ?? 2048,
    alarmConnections: read("alarmConnections", (v) => readInteger(v, 1)) ?? 100,
    directUrl: readSecret("directUrl"),
    pooledUrl: readSecret("pooledUrl"),
    awsRegion: typeof raw.values["aws:region"] === "string" && raw.values["aws:region"] !== "" ? raw.values["aws:region"] : undefined,
  };

  /**
   * Reads a key that must be a secret. A plain-text value is refused, and a value is never echoed:
   * it carries a password.
   */
  function readSecret(name: string): SecretValue | undefined {
    if (!values.has(name)) return undefined;
    const fullKey = prefix + name;
    if (!raw.secretKeys.has(fullKey)) {
      problem(name, `must be a secret, not plain text: remove it and run \`pulumi config set --secret ${name} <url> --stack ${raw.stack}\``);
      return undefined;
    }
    const value = values.get(name);
    // The CLI sees `secure: v1:...` and cannot decrypt it: a secret it cannot check is still a secret.
    if (value === undefined || value === null || typeof value === "object") return { secret: true };
    const why = typeof value === "string" ? postgresUrlProblem(value) : "must be a postgres:// or postgresql:// URL";
    if (why !== undefined) {
      problem(name, why);
      return undefined;
    }
    return { secret: true, value: value as string };
  }

  // Rules that span keys, or tie a key to the tier.
  if (tier !== undefined) {
    if (values.has("backupRetentionDays") && infra.backupRetentionDays < t.minBackupRetentionDays) {
      problem("backupRetentionDays", `${infra.backupRetentionDays} is below the ${tier} tier's minimum of ${t.minBackupRetentionDays} days`);
    }
    // A stack may ask for backups earlier than its tier does, never later.
    const thresholdRank = (x: RiskThreshold) => (x === "never" ? RISK_LEVELS.length : RISK_LEVELS.indexOf(x));
    if (thresholdRank(risk.backupBefore) > thresholdRank(t.backupBefore)) {
      problem("backupBefore", `cannot be ${risk.backupBefore} in ${tier}: the tier takes a backup before every migration of ${t.backupBefore} risk or above (allowed: ${RISK_LEVELS.slice(0, thresholdRank(t.backupBefore) + 1).join(", ")})`);
    }
    if (tier === "prod") {
      if (!infra.deletionProtection) problem("deletionProtection", "must be true in prod: a prod database must not be deletable by one command");
      if (!infra.finalSnapshot) problem("finalSnapshot", "must be true in prod: deleting the instance must leave a final snapshot");
      if (!infra.protectResources) problem("protectResources", "must be true in prod: pulumi destroy and replacements must not touch the server, database or backups");
      if (!infra.backupObjectLock) problem("backupObjectLock", "must be true in prod: backups must not be deletable before their retention ends");
      if (risk.requireApprovalAt === "never") problem("requireApprovalAt", "cannot be never in prod: high-risk migrations need an approval");
      // Not for the tier's bare defaults the CLI falls back to without a stack file (no values at
      // all): nothing is deployed from those, and `pulumi up` always has Pulumi.yaml's defaults.
      if (infra.awsRegion === undefined && Object.keys(raw.values).length > 0) {
        problems.push({
          key: "aws:region",
          message: `is required in prod: run \`pulumi config set aws:region <region> --stack ${raw.stack}\` so the region never depends on who runs pulumi up`,
          line: raw.lines?.get("aws:region"),
        });
      }
    }
  }
  if (infra.server === "external" && !values.has("directUrl")) {
    problem("directUrl", `is required when dbpipe:server is external: run \`pulumi config set --secret directUrl <url> --stack ${raw.stack}\``);
  }
  if (infra.server === "rds") {
    for (const name of ["directUrl", "pooledUrl"]) {
      if (values.has(name)) problem(name, "is only used when dbpipe:server is external");
    }
  }
  if (infra.maxAllocatedStorageGb < infra.allocatedStorageGb) {
    problem("maxAllocatedStorageGb", `(${infra.maxAllocatedStorageGb}) must be at least dbpipe:allocatedStorageGb (${infra.allocatedStorageGb})`);
  }
  if (infra.subnetIds !== undefined && infra.vpcId === undefined) {
    problem("subnetIds", "needs dbpipe:vpcId: subnets belong to a VPC, and the security group must be created in the same one");
  }

  if (problems.length > 0 || tier === undefined) throw new SettingsError(raw.source, sortProblems(problems));
  return { stack: raw.stack, tier, source: raw.source, migrations, risk, infra };
}

function sortProblems(problems: SettingsProblem[]): SettingsProblem[] {
  return [...problems].sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || a.key.localeCompare(b.key));
}

function suggestKey(name: string): string {
  const lower = name.toLowerCase();
  const close = KEY_SPECS.map((k) => k.name).find((k) => k.toLowerCase() === lower || editDistance(k.toLowerCase(), lower) <= 2);
  return close ? ` (did you mean dbpipe:${close}?)` : "";
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

function readMatching(value: unknown, pattern: RegExp, what: string): string {
  const text = readNonEmptyString(value);
  if (!pattern.test(text)) throw new ValueProblem(`must be ${what}, got ${describe(text)}`);
  return text;
}

function readIdentifier(value: unknown): string {
  return readMatching(value, /^[a-z_][a-z0-9_]{0,49}$/, "a lower-case PostgreSQL identifier (letters, digits, _; at most 50 characters)");
}

function readInstanceClass(value: unknown): string {
  return readMatching(value, /^db\.[a-z0-9]+\.[a-z0-9]+$/, "an RDS instance class such as db.t4g.micro");
}

function readExtensions(value: unknown): string[] {
  const list = readStringList(value);
  list.forEach((name, i) => {
    if (!/^[a-z_][a-z0-9_-]*$/.test(name)) throw new ValueProblem(`[${i}] must be an extension name such as pgcrypto, got ${describe(name)}`);
  });
  return list;
}

function readCidrs(value: unknown): string[] {
  const list = readStringList(value);
  list.forEach((cidr, i) => {
    if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr)) throw new ValueProblem(`[${i}] must be a CIDR block such as 10.0.0.0/16, got ${describe(cidr)}`);
  });
  return list;
}

function readSchemaName(value: unknown): string {
  const name = readIdentifier(value);
  // dbpipe creates this schema and hands it to <db>_owner; taking over (and on destroy dropping) a
  // schema the server made itself would be a surprise.
  if (name === "public" || name === "information_schema" || name.startsWith("pg_")) {
    throw new ValueProblem(`cannot be ${name}: dbpipe creates and owns this schema, so it must be one of its own (the default is the database name)`);
  }
  return name;
}

function readIdList(value: unknown, pattern: RegExp, example: string): string[] {
  const list = readStringList(value);
  list.forEach((id, i) => {
    if (!pattern.test(id)) throw new ValueProblem(`[${i}] must be an id such as ${example}, got ${describe(id)}`);
  });
  return list;
}

function readSubnetIds(value: unknown): string[] {
  const list = readIdList(value, /^subnet-[0-9a-f]+$/, "subnet-0abc123");
  // An RDS subnet group must span two availability zones; one subnet cannot.
  if (list.length < 2) throw new ValueProblem(`must list at least two subnets in different availability zones, got ${list.length}`);
  return list;
}

function readSecurityGroupIds(value: unknown): string[] {
  return readIdList(value, /^sg-[0-9a-f]+$/, "sg-0abc123");
}

function readHostPort(value: unknown): HostPort {
  const text = readNonEmptyString(value);
  const m = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) throw new ValueProblem(`must be host:port, such as localhost:15432, got ${describe(text)}`);
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}

/** Why `text` is not a usable PostgreSQL URL, or undefined when it is. Never quotes the URL: it holds a password. */
function postgresUrlProblem(text: string): string | undefined {
  if (!/^postgres(ql)?:\/\//.test(text)) return "must be a postgres:// or postgresql:// URL";
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "is not a valid URL (a password with @, : or / in it must be percent-encoded)";
  }
  if (url.hostname === "") return "must name a host (postgresql://user:password@host:5432/database)";
  if (url.username === "") return "must name a user (postgresql://user:password@host:5432/database)";
  return undefined;
}

function readApprovals(value: unknown): Approval[] {
  const list = readStructured(value);
  if (!Array.isArray(list)) throw new ValueProblem(`must be a list of { version, checksum, reason }, got ${describe(list)}`);
  return list.map((item, i) => {
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      throw new ValueProblem(`[${i}] must be a map with version, checksum and reason, got ${describe(item)}`);
    }
    const entry = item as Record<string, unknown>;
    const unknown = Object.keys(entry).filter((k) => !["version", "checksum", "reason", "approvedBy"].includes(k));
    if (unknown.length > 0) throw new ValueProblem(`[${i}] has unknown field ${unknown.join(", ")} (allowed: version, checksum, reason, approvedBy)`);
    const field = (name: string): string => {
      try {
        return readNonEmptyString(entry[name]);
      } catch (error) {
        throw new ValueProblem(`[${i}].${name} ${(error as Error).message === "must not be empty" || entry[name] === undefined ? "is required" : (error as Error).message}`);
      }
    };
    const version = field("version");
    if (!/^\d+$/.test(version)) throw new ValueProblem(`[${i}].version must be a migration version (digits), got ${describe(version)}`);
    const checksum = field("checksum");
    if (!/^[0-9a-f]{64}$/.test(checksum)) throw new ValueProblem(`[${i}].checksum must be the 64-character sha256 that \`dbpipe plan --json\` prints, got ${describe(checksum)}`);
    const reason = field("reason");
    const approvedBy = entry.approvedBy === undefined ? undefined : readString(entry.approvedBy);
    return { version, checksum, reason, ...(approvedBy ? { approvedBy } : {}) };
  });
}

function readRuleSeverity(value: unknown): Record<string, RiskLevel | "off"> {
  const map = readMap(value);
  const out: Record<string, RiskLevel | "off"> = {};
  for (const [rule, level] of Object.entries(map)) {
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(rule)) throw new ValueProblem(`.${rule}: not a rule id (rule ids are kebab-case, as \`dbpipe lint\` prints them)`);
    try {
      out[rule] = readChoice(level, [...RISK_LEVELS, "off"] as const);
    } catch (error) {
      throw new ValueProblem(`.${rule} ${(error as Error).message}`);
    }
  }
  return out;
}
