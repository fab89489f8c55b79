import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../errors";
import { EXAMPLE_URL } from "../redact";
import { loadStackSettings, stackFilePath } from "./stack-file";
import { KEYS, tierDefault, writtenValue } from "./keys";
import { configLine, configSectionLines, keyAppliesTo } from "./stack-file-text";
import { CONFIG_NAMESPACE, NETWORK_PATHS, type NetworkPath, SERVER_MODES, type ServerMode, type StackSettings } from "./stack-settings-types";
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
  /** Its server: an RDS instance dbpipe declares, or an existing server (Neon, Supabase). Default `rds`. */
  server?: ServerMode;
  /** How `pulumi up` reaches the RDS instance (rds only). Default `tunnel`. */
  networkPath?: NetworkPath;
}

/** What was created. */
export interface NewEnvironment {
  /** The stack file written. */
  file: string;
  /** Its settings, as `pulumi up` and the CLI will read them. */
  settings: StackSettings;
  /** What to do next, in order, each a command or an edit: see {@link nextSteps}. */
  next: string[];
}

/**
 * Writes `Pulumi.<name>.yaml` for a new environment of `tier`. Throws {@link InputError} (exit 2) for
 * an invalid name, a tier-named stack of another tier, a prod environment without a region, or a
 * stack file that exists already; never overwrites one.
 */
export function newEnvironment(options: NewEnvironmentOptions): NewEnvironment {
  const { projectDir, name, tier, region, server = "rds", networkPath } = options;
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
  if (!(SERVER_MODES as readonly string[]).includes(server)) throw new InputError(`--server must be one of ${SERVER_MODES.join(", ")}, got "${String(server)}"`);
  if (networkPath !== undefined && !(NETWORK_PATHS as readonly string[]).includes(networkPath)) {
    throw new InputError(`--network-path must be one of ${NETWORK_PATHS.join(", ")}, got "${String(networkPath)}"`);
  }
  if (networkPath !== undefined && server !== "rds") throw new InputError(`--network-path is for an rds server only: an ${server} server is reached by its own URL`);
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
    fs.writeSync(fd, stackFileText(name, tier, region, { server, networkPath }));
  } finally {
    fs.closeSync(fd);
  }
  try {
    const settings = loadStackSettings(projectDir, name, { deploy: true, newStack: true });
    return { file, settings, next: nextSteps(settings) };
  } catch (error) {
    // A file that does not validate must not be left behind to be found by the next command.
    fs.rmSync(file, { force: true });
    throw error;
  }
}

/**
 * What to do after `dbpipe env new`, by how `pulumi up` will reach the database: with an rds tunnel,
 * `dbpipe tunnel --wait` first, which waits for the bastion and the instance that `pulumi up` then
 * creates before it waits for the tunnel in turn; with an rds
 * vpc path, the stack must first name what may connect, and `pulumi up` runs inside the VPC; with an
 * external server, the secret URLs come first.
 */
export function nextSteps(settings: StackSettings): string[] {
  const { stack, infra } = settings;
  const init = `pulumi stack init ${stack}`;
  const up = `pulumi up --stack ${stack}`;
  const file = `Pulumi.${stack}.yaml`;
  if (infra.server === "external") {
    return [
      init,
      `pulumi config set --secret directUrl '${EXAMPLE_URL}' --stack ${stack}   (the administrator's direct, unpooled URL)`,
      `pulumi config set --secret pooledUrl '<the pooled URL>' --stack ${stack}   (optional: where applications connect; default the direct URL)`,
      up,
    ];
  }
  if (infra.networkPath === "vpc") {
    return [
      init,
      `in ${file}, set dbpipe:allowedCidrs or dbpipe:allowedSecurityGroupIds to what runs pulumi up (and dbpipe:vpcId and dbpipe:subnetIds outside the default VPC)`,
      `${up}   (from inside the VPC, e.g. on a CI runner there)`,
    ];
  }
  return [
    init,
    `dbpipe tunnel --stack ${stack} --wait 45min   (in a second terminal, left running: it waits for pulumi up to create the bastion and the instance, then opens the tunnel)`,
    `${up}   (it creates the bastion and the instance, then waits for the tunnel; later pulumi up, refresh and destroy need the tunnel open too)`,
  ];
}

/** What the new stack file says of its server. */
export interface NewStackShape {
  /** Server mode. Default `rds`. */
  server?: ServerMode;
  /** How `pulumi up` reaches an rds instance. Default `tunnel` (the key table's `written` value); only with `rds`. */
  networkPath?: NetworkPath;
}

/** The text of a new stack file. */
export function stackFileText(name: string, tier: Tier, region: string | undefined, shape: NewStackShape = {}): string {
  const server = shape.server ?? "rds";
  const head: string[] = [
    `# Environment ${name}, tier ${tier}: \`pulumi up --stack ${name}\` declares it (docs/pulumi.md).`,
    `# Written by \`dbpipe env new ${name} --tier ${tier}${server === "rds" ? "" : ` --server ${server}`}${shape.networkPath ? ` --network-path ${shape.networkPath}` : ""}\`.`,
    "#",
    "# Values that shape cloud resources are written out with the tier's defaults of the dbpipe that",
    "# wrote this file, so the file documents the environment and a dbpipe upgrade cannot change them.",
    "# Migration policy follows the tier (commented lines show today's values; uncomment to pin one).",
    "# Every key is described in Pulumi.yaml and docs/settings.md; the comments in config: are written",
    "# from the same table by `npm run settings:generate`, which keeps the values. Secrets never go here",
    "# in plain text:",
    `#   pulumi config set --secret <key> <value> --stack ${name}`,
    "config:",
  ];
  const items = new Map<string, string[]>();
  const set = (key: string, value: unknown) => items.set(key, [configLine(key, value)]);
  if (region !== undefined) set("aws:region", region);
  for (const entry of KEYS) {
    if (!keyAppliesTo(entry, server)) continue;
    const key = `${CONFIG_NAMESPACE}:${entry.name}`;
    if (entry.newStack === "identity" || entry.newStack === "resource") {
      const value = entry.name === "tier" ? tier : entry.name === "server" ? server : tierDefault(entry, tier);
      set(key, writtenValue(entry, value));
    } else if (typeof entry.newStack === "object" && "written" in entry.newStack) {
      set(key, entry.name === "networkPath" && shape.networkPath !== undefined ? shape.networkPath : entry.newStack.written);
    }
  }
  return `${[...head, ...configSectionLines({ tier, server, items })].join("\n")}\n`;
}
