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
export const MIGRATION_LAYOUTS = ["auto", "dbpipe", "prisma", "drizzle", "plain"] as const;

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

/** Settings of the stack's cloud resources (the Pulumi program). */
export interface InfraSettings {
  /** Server mode. Default `rds`. */
  server: ServerMode;
  /** The application database's name; roles are named after it. Default `app`. */
  databaseName: string;
  /** Extensions to create in the database. Default none. */
  extensions: string[];
  /** Days backups are kept (bucket lifecycle, RDS automated backups capped at 35). Default by tier: 7 / 14 / 30. */
  backupRetentionDays: number;
  /** RDS deletion protection. Default by tier: off / off / on; prod must keep it on. */
  deletionProtection: boolean;
  /** RDS Multi-AZ. Default by tier: off / off / on. */
  multiAz: boolean;
  /** RDS final snapshot on delete. Default by tier: off / off / on. */
  finalSnapshot: boolean;
  /** RDS Performance Insights. Default by tier: off / on / on. */
  performanceInsights: boolean;
  /** RDS instance class. Default by tier: db.t4g.micro / db.t4g.small / db.m6g.large. */
  instanceClass: string;
  /** RDS allocated storage in GiB. Default by tier: 20 / 50 / 100. */
  allocatedStorageGb: number;
  /** RDS storage autoscaling ceiling in GiB. Default by tier: 100 / 200 / 1000. */
  maxAllocatedStorageGb: number;
  /** PostgreSQL major version of the RDS instance. Default `15` (pg_dump 15 must be able to dump it). */
  engineVersion: string;
  /** Statements slower than this are logged (`log_min_duration_statement`), in ms. Default 1000. */
  slowStatementMs: number;
  /** VPC of the RDS instance. Default: the account's default VPC. */
  vpcId?: string;
  /** Subnets of the RDS subnet group. Default: the VPC's subnets. */
  subnetIds?: string[];
  /** CIDR blocks allowed to reach PostgreSQL. Default none. */
  allowedCidrs: string[];
  /** Security groups allowed to reach PostgreSQL. Default none. */
  allowedSecurityGroupIds: string[];
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
export class SettingsError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly SettingsProblem[],
  ) {
    super(
      `${source}: invalid stack settings:\n` +
        problems.map((p) => `  ${source}${p.line ? `:${p.line}` : ""}: ${p.key}: ${p.message}`).join("\n"),
    );
    this.name = "SettingsError";
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
  { name: "approvals", type: "array", description: "Approvals of risky migrations: a list of { version, checksum, reason, approvedBy }. Editing an approved file voids its approval." },
  { name: "ruleSeverity", type: "object", description: "Severity overrides by rule id: low, medium, high or off." },
  { name: "largeTableRows", type: "integer", description: "Estimated rows above which a lock-taking or rewriting operation is high risk.", default: 1_000_000 },
  { name: "server", type: "string", description: "Server mode: rds (an RDS instance) or external (an existing server such as Neon or Supabase).", default: "rds" },
  { name: "databaseName", type: "string", description: "Application database name; roles are <name>_owner, _migrator, _app, _readonly.", default: "app" },
  { name: "extensions", type: "array", description: "PostgreSQL extensions to create, e.g. [pgcrypto, vector]." },
  { name: "backupRetentionDays", type: "integer", description: "Days backups are kept. Default by tier: 7 / 14 / 30; at least 1 / 7 / 30." },
  { name: "deletionProtection", type: "boolean", description: "RDS deletion protection. Default by tier: false / false / true; prod requires true." },
  { name: "multiAz", type: "boolean", description: "RDS Multi-AZ. Default by tier: false / false / true." },
  { name: "finalSnapshot", type: "boolean", description: "RDS final snapshot on delete. Default by tier: false / false / true." },
  { name: "performanceInsights", type: "boolean", description: "RDS Performance Insights. Default by tier: false / true / true." },
  { name: "instanceClass", type: "string", description: "RDS instance class. Default by tier: db.t4g.micro / db.t4g.small / db.m6g.large." },
  { name: "allocatedStorageGb", type: "integer", description: "RDS allocated storage in GiB. Default by tier: 20 / 50 / 100." },
  { name: "maxAllocatedStorageGb", type: "integer", description: "RDS storage autoscaling ceiling in GiB. Default by tier: 100 / 200 / 1000." },
  { name: "engineVersion", type: "string", description: "PostgreSQL major version of the RDS instance (pg_dump must be at least this version).", default: "15" },
  { name: "slowStatementMs", type: "integer", description: "Log statements slower than this many milliseconds.", default: 1000 },
  { name: "vpcId", type: "string", description: "VPC for the RDS instance. Default: the account's default VPC." },
  { name: "subnetIds", type: "array", description: "Subnets for the RDS subnet group. Default: the VPC's subnets." },
  { name: "allowedCidrs", type: "array", description: "CIDR blocks allowed to reach PostgreSQL on 5432." },
  { name: "allowedSecurityGroupIds", type: "array", description: "Security groups allowed to reach PostgreSQL on 5432." },
  { name: "alarmTopicArn", type: "string", description: "SNS topic ARN the CloudWatch alarms notify." },
  { name: "alarmCpuPercent", type: "integer", description: "CPU utilisation alarm threshold, percent.", default: 80 },
  { name: "alarmFreeStorageMb", type: "integer", description: "Free storage alarm threshold, MiB.", default: 2048 },
  { name: "alarmConnections", type: "integer", description: "Database connections alarm threshold.", default: 100 },
  { name: "directUrl", type: "string", secret: true, description: "external mode: direct (unpooled) PostgreSQL URL for migrations and administration. Must be a secret." },
  { name: "pooledUrl", type: "string", secret: true, description: "external mode: pooled PostgreSQL URL for applications. Must be a secret. Default: directUrl." },
];

const KNOWN_KEYS = new Set(KEY_SPECS.map((k) => k.name));

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
    if (!KNOWN_KEYS.has(name)) {
      problems.push({ key: fullKey, message: `unknown key${suggestKey(name)}`, line: raw.lines?.get(fullKey) });
      continue;
    }
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

  const infra: InfraSettings = {
    server: read("server", (v) => readChoice(v, SERVER_MODES)) ?? "rds",
    databaseName: read("databaseName", readIdentifier) ?? "app",
    extensions: read("extensions", readExtensions) ?? [],
    backupRetentionDays: read("backupRetentionDays", (v) => readInteger(v, 1, 3650)) ?? t.backupRetentionDays,
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
    subnetIds: read("subnetIds", readStringList),
    allowedCidrs: read("allowedCidrs", readCidrs) ?? [],
    allowedSecurityGroupIds: read("allowedSecurityGroupIds", readStringList) ?? [],
    alarmTopicArn: read("alarmTopicArn", (v) => readMatching(v, /^arn:aws[\w-]*:sns:/, "an SNS topic ARN")),
    alarmCpuPercent: read("alarmCpuPercent", (v) => readInteger(v, 1, 100)) ?? 80,
    alarmFreeStorageMb: read("alarmFreeStorageMb", (v) => readInteger(v, 1)) ?? 2048,
    alarmConnections: read("alarmConnections", (v) => readInteger(v, 1)) ?? 100,
    directUrl: readSecret("directUrl"),
    pooledUrl: readSecret("pooledUrl"),
  };

  /** Reads a key that must be a secret; a plain-text value is refused without being echoed. */
  function readSecret(name: string): SecretValue | undefined {
    if (!values.has(name)) return undefined;
    const fullKey = prefix + name;
    if (!raw.secretKeys.has(fullKey)) {
      problem(name, `must be a secret, not plain text: remove it and run \`pulumi config set --secret ${name} <url> --stack ${raw.stack}\``);
      return undefined;
    }
    const value = values.get(name);
    if (value === undefined || value === null || typeof value === "object") return { secret: true };
    if (typeof value !== "string" || !/^postgres(ql)?:\/\//.test(value)) {
      problem(name, "must be a postgres:// or postgresql:// URL");
      return undefined;
    }
    return { secret: true, value };
  }

  // Rules that span keys, or tie a key to the tier.
  if (tier !== undefined) {
    if (values.has("backupRetentionDays") && infra.backupRetentionDays < t.minBackupRetentionDays) {
      problem("backupRetentionDays", `${infra.backupRetentionDays} is below the ${tier} tier's minimum of ${t.minBackupRetentionDays} days`);
    }
    if (tier === "prod") {
      if (!infra.deletionProtection) problem("deletionProtection", "must be true in prod: a prod database must not be deletable by one command");
      if (!infra.finalSnapshot) problem("finalSnapshot", "must be true in prod: deleting the instance must leave a final snapshot");
      if (risk.requireApprovalAt === "never") problem("requireApprovalAt", "cannot be never in prod: high-risk migrations need an approval");
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
