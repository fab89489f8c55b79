import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { InputError } from "../errors";
import { loadStackSettings, stackFilePath } from "./stack-file";
import { KEYS, type KeyEntry, keyDescription, tierDefault, writtenValue } from "./keys";
import { CONFIG_NAMESPACE, type StackSettings } from "./stack-settings-types";
import { TIERS, isTier, type Tier } from "./tiers";

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
    return { file, settings: loadStackSettings(projectDir, name, { deploy: true }) };
  } catch (error) {
    // A file that does not validate must not be left behind to be found by the next command.
    fs.rmSync(file, { force: true });
    throw error;
  }
}

/** The text of a new stack file. */
export function stackFileText(name: string, tier: Tier, region: string | undefined): string {
  const out: string[] = [
    `# Environment ${name}, tier ${tier}: \`pulumi up --stack ${name}\` declares it (docs/pulumi.md).`,
    `# Written by \`dbpipe env new ${name} --tier ${tier}\`.`,
    "#",
    "# Values that shape cloud resources are written out with the tier's defaults of the dbpipe that",
    "# wrote this file, so the file documents the environment and a dbpipe upgrade cannot change them.",
    "# Migration policy follows the tier (commented lines show today's values; uncomment to pin one).",
    "# Every key is described in Pulumi.yaml and docs/settings.md. Secrets never go here in plain text:",
    `#   pulumi config set --secret <key> <value> --stack ${name}`,
    "config:",
  ];
  const line = (key: string, value: unknown, comment: string, commented = false) => {
    out.push(`  # ${comment}`);
    out.push(`  ${commented ? "# " : ""}${key}: ${stringify(value).trim()}`);
  };
  const entries = (kind: "identity" | "resource" | "policy") => KEYS.filter((k) => k.newStack === kind);
  const value = (entry: KeyEntry) => writtenValue(entry, entry.name === "tier" ? tier : tierDefault(entry, tier));
  if (region !== undefined) line("aws:region", region, "AWS region of every resource of this environment.");
  else line("aws:region", "eu-west-1", "AWS region of every resource (unset: the region of whoever runs pulumi up).", true);
  for (const entry of entries("identity")) line(`${CONFIG_NAMESPACE}:${entry.name}`, value(entry), keyDescription(entry));
  for (const entry of KEYS) {
    if (typeof entry.newStack === "object" && "written" in entry.newStack) line(`${CONFIG_NAMESPACE}:${entry.name}`, entry.newStack.written, keyDescription(entry));
  }
  out.push("", "  # Resources: explicit values, the tier's defaults when this file was written.");
  for (const entry of entries("resource")) line(`${CONFIG_NAMESPACE}:${entry.name}`, value(entry), keyDescription(entry));
  out.push("", "  # Migration policy: follows the tier; uncomment a line to pin it.");
  for (const entry of entries("policy")) line(`${CONFIG_NAMESPACE}:${entry.name}`, value(entry), keyDescription(entry), true);
  out.push("", "  # Optional: uncomment and edit what this environment needs.");
  for (const entry of KEYS) {
    const example = typeof entry.newStack === "object" && "example" in entry.newStack ? entry.newStack.example : undefined;
    if (example === undefined) continue;
    out.push(`  # ${keyDescription(entry)}`);
    out.push(`  # ${CONFIG_NAMESPACE}:${entry.name}: ${example}`);
  }
  return `${out.join("\n")}\n`;
}
