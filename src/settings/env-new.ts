import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { InputError } from "../errors";
import { loadStackSettings, stackFilePath } from "./stack-file";
import { CONFIG_NAMESPACE, KEY_SPECS, type StackSettings } from "./stack-settings";
import { TIER_DEFAULTS, TIERS, isTier, type Tier } from "./tiers";

/**
 * `dbpipe env new <name> --tier <tier>`: how a platform team provisions an environment. It writes
 * `Pulumi.<name>.yaml` with the tier's defaults and a comment on every key, and checks the result
 * with the same parser `pulumi up` and the CLI use.
 *
 * What is written out and what is left to the tier is a decision about upgrades. Values that shape
 * cloud resources (instance class and storage, engine version, Multi-AZ, protection, retention,
 * Object Lock) are written as explicit values: the file then documents the environment, and a later
 * dbpipe release that changes a tier's defaults cannot resize, upgrade or re-create a running
 * environment's resources behind its owners' backs. Migration policy (timeouts, backups before
 * risky migrations, approvals) is left to the tier, as comments showing today's values, so that a
 * safety improvement in a release reaches every environment; uncommenting a line pins it.
 */

/**
 * Names a new environment may have: lower-case letters, digits and single hyphens, starting with a
 * letter, at most 32 characters. Stricter than Pulumi's stack names, because the name becomes part
 * of RDS identifiers, S3 bucket names and KMS aliases, which reject `_`, `.` and capitals.
 */
export const ENVIRONMENT_NAME = /^[a-z](?:[a-z0-9]|-(?!-)){0,30}[a-z0-9]$|^[a-z]$/;

/** What to create. */
export interface NewEnvironmentOptions {
  /** The project folder: where `Pulumi.yaml` is and the stack file goes. */
  projectDir: string;
  /** The environment's (and stack's) name, e.g. `staging`. */
  name: string;
  /** Its tier. */
  tier: Tier;
  /** `aws:region` to write. Required for a prod-tier environment; otherwise default: none (the AWS default region applies). */
  region?: string;
}

/** What was created. */
export interface NewEnvironment {
  /** The stack file written. */
  file: string;
  /** Its settings, as `pulumi up` and the CLI will read them. */
  settings: StackSettings;
}

/**
 * Writes `Pulumi.<name>.yaml` for a new environment of `tier`. Throws {@link InputError} (exit 2) for
 * an invalid name, a tier-named stack of another tier, a prod environment without a region, or a
 * stack file that exists already; never overwrites one.
 */
export function newEnvironment(options: NewEnvironmentOptions): NewEnvironment {
  const { projectDir, name, tier, region } = options;
  if (!ENVIRONMENT_NAME.test(name)) {
    throw new InputError(
      `"${name}" is not a valid environment name: use lower-case letters, digits and single hyphens, starting with a letter, at most 32 characters (it becomes part of RDS, S3 and KMS names)`,
    );
  }
  if (!isTier(tier)) throw new InputError(`--tier must be one of ${TIERS.join(", ")}, got "${String(tier)}"`);
  if (isTier(name) && name !== tier) {
    throw new InputError(`a stack named ${name} must have tier ${name}, not ${tier}: its name says ${name} to everyone who reads it`);
  }
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    throw new InputError(`--region must be an AWS region such as eu-west-1, got "${region}"`);
  }
  if (tier === "prod" && region === undefined) {
    throw new InputError("--region is required for a prod environment: its region must not depend on who runs pulumi up");
  }
  const file = stackFilePath(projectDir, name);
  let fd: number;
  try {
    // "wx": creating and checking in one step, so two runs cannot both write the file.
    fd = fs.openSync(file, "wx");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new InputError(`${path.basename(file)} exists already: environment ${name} is taken (edit that file, or choose another name)`);
    }
    throw error;
  }
  try {
    fs.writeSync(fd, stackFileText(name, tier, region));
  } finally {
    fs.closeSync(fd);
  }
  try {
    return { file, settings: loadStackSettings(projectDir, name) };
  } catch (error) {
    // A file that does not validate must not be left behind to be found by the next command.
    fs.rmSync(file, { force: true });
    throw error;
  }
}

/** Keys written with explicit values: the tier's defaults that shape cloud resources. */
const PINNED_KEYS = [
  "engineVersion",
  "instanceClass",
  "allocatedStorageGb",
  "maxAllocatedStorageGb",
  "multiAz",
  "performanceInsights",
  "deletionProtection",
  "finalSnapshot",
  "protectResources",
  "backupRetentionDays",
  "backupObjectLock",
] as const;

/** Keys written as comments, with the value they have today. */
function followedKeys(tier: Tier): [string, string][] {
  const t = TIER_DEFAULTS[tier];
  return [
    ["lockTimeout", durationText(t.lockTimeoutMs)],
    ["statementTimeout", durationText(t.statementTimeoutMs)],
    ["backupBefore", t.backupBefore],
    ["requireApprovalAt", t.requireApprovalAt],
  ];
}

/** Optional keys shown as comments with an example, so the file tells its owners what they can set. */
const OPTIONAL_EXAMPLES: [string, string][] = [
  ["extensions", "[pgcrypto, vector]"],
  ["vpcId", "vpc-0abc1234"],
  ["subnetIds", "[subnet-0abc1234, subnet-0def5678]"],
  ["allowedCidrs", "[10.0.0.0/16]"],
  ["allowedSecurityGroupIds", "[sg-0abc1234]"],
  ["adminEndpoint", "localhost:15432"],
  ["alarmTopicArn", "arn:aws:sns:eu-west-1:123456789012:database-alerts"],
];

/** The text of a new stack file. */
export function stackFileText(name: string, tier: Tier, region: string | undefined): string {
  const t = TIER_DEFAULTS[tier];
  const describe = (key: string) => KEY_SPECS.find((k) => k.name === key)?.description ?? "";
  const pinned: Record<string, string | number | boolean> = {
    engineVersion: String(KEY_SPECS.find((k) => k.name === "engineVersion")?.default),
    instanceClass: t.instanceClass,
    allocatedStorageGb: t.allocatedStorageGb,
    maxAllocatedStorageGb: t.maxAllocatedStorageGb,
    multiAz: t.multiAz,
    performanceInsights: t.performanceInsights,
    deletionProtection: t.deletionProtection,
    finalSnapshot: t.finalSnapshot,
    protectResources: t.protectResources,
    backupRetentionDays: t.backupRetentionDays,
    backupObjectLock: t.backupObjectLock,
  };
  const out: string[] = [
    `# Environment ${name}, tier ${tier}: \`pulumi up --stack ${name}\` declares it (docs/pulumi.md).`,
    `# Written by \`dbpipe env new ${name} --tier ${tier}\`.`,
    "#",
    "# Values that shape cloud resources are written out with the tier's defaults of the dbpipe that",
    "# wrote this file, so the file documents the environment and a dbpipe upgrade cannot change them.",
    "# Migration policy follows the tier (commented lines show today's values; uncomment to pin one).",
    "# Every key is described in Pulumi.yaml. Secrets never go here in plain text:",
    `#   pulumi config set --secret <key> <value> --stack ${name}`,
    "config:",
  ];
  const entry = (key: string, value: unknown, comment: string, commented = false) => {
    out.push(`  # ${comment}`);
    out.push(`  ${commented ? "# " : ""}${key}: ${stringify(value).trim()}`);
  };
  if (region !== undefined) entry("aws:region", region, "AWS region of every resource of this environment.");
  else entry("aws:region", "eu-west-1", "AWS region of every resource (unset: the region of whoever runs pulumi up).", true);
  entry(`${CONFIG_NAMESPACE}:tier`, tier, describe("tier"));
  entry(`${CONFIG_NAMESPACE}:server`, "rds", `${describe("server")} For external, set dbpipe:directUrl (and pooledUrl) as secrets.`);
  entry(`${CONFIG_NAMESPACE}:databaseName`, "app", describe("databaseName"));
  out.push("", "  # Resources: explicit values, the tier's defaults when this file was written.");
  for (const key of PINNED_KEYS) entry(`${CONFIG_NAMESPACE}:${key}`, pinned[key], describe(key));
  out.push("", "  # Migration policy: follows the tier; uncomment a line to pin it.");
  for (const [key, value] of followedKeys(tier)) entry(`${CONFIG_NAMESPACE}:${key}`, value, describe(key), true);
  out.push("", "  # Optional: uncomment and edit what this environment needs.");
  for (const [key, example] of OPTIONAL_EXAMPLES) {
    out.push(`  # ${describe(key)}`);
    out.push(`  # ${CONFIG_NAMESPACE}:${key}: ${example}`);
  }
  return `${out.join("\n")}\n`;
}

/** A duration as the stack file writes it: `0`, `500ms`, `10s`, `30min`, `2h`. */
function durationText(ms: number): string {
  if (ms === 0) return "0";
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}min`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
