import { didYouMean } from "../text/did-you-mean";
import { RDS_INSTANCE_CLASS_MEMORY_GIB, maxConnections } from "./rds-instance-classes";
import { KEYS, KEYS_BY_NAME, isUnsetValue, tierDefault } from "./keys";
import {
  CONFIG_NAMESPACE,
  type RawStackConfig,
  SettingsError,
  type SettingsProblem,
  type StackSettings,
} from "./stack-settings-types";
import { tierLimitProblems } from "./tier-limits";
import { MIN_BACKUP_RETENTION_DAYS, TIERS, isTier, type Tier } from "./tiers";
import { ValueProblem, withoutSecretValue } from "./values";

/**
 * A stack's settings, parsed once at the boundary. Untrusted config in (from `Pulumi.<stack>.yaml`
 * or from the Pulumi runtime), one typed object out, or a {@link SettingsError} that lists every
 * problem at once, each naming its key. Which keys there are, how each is read and what it
 * defaults to is the key table's (`keys.ts`); what is here are the rules across keys and tiers.
 */

export * from "./stack-settings-types";

/** Returns the tier a stack name implies, when the name is a tier in any case (`prod`, `Prod`, `PROD`: each says prod to whoever reads it). */
export function tierOfStackName(stack: string): Tier | undefined {
  const name = stack.toLowerCase();
  return isTier(name) ? name : undefined;
}

/** Options of {@link parseStackSettings}. */
export interface ParseOptions {
  /**
   * The settings are for deploying the stack's servers (`pulumi up`, `dbpipe tunnel`), not only for
   * migrating a database someone gives: what `pulumi up` needs to reach the server must then be
   * there — an rds stack's dbpipe:networkPath (how it reaches the private instance) and, with vpc,
   * what lets it in; an external stack's dbpipe:directUrl (the server itself). Default false: the
   * CLI's commands, which connect to the URL they are given (`--database-url`,
   * `DATABASE_URL_DIRECT`) or to the embedded PostgreSQL and cannot decrypt a secret anyway, do
   * not need them, and `dbpipe lint`, which connects to nothing, runs on a stack that does not have
   * them yet. The rules of the tier (prod's) apply either way.
   */
  deploy?: boolean;
  /**
   * The stack file was just written by `dbpipe env new`, whose next steps say to add what it cannot
   * write: the secret dbpipe:directUrl of an external server (set with `pulumi config set --secret`),
   * and what a vpc network path lets in. Their absence is not a problem then, even with `deploy`.
   * Default false.
   */
  newStack?: boolean;
}

/**
 * Parses and validates a stack's config. Reports every problem at once in a {@link SettingsError};
 * keys outside the `dbpipe` namespace (aws:region, ...) belong to other packages and are ignored.
 */
export function parseStackSettings(raw: RawStackConfig, options: ParseOptions = {}): StackSettings {
  const problems: SettingsProblem[] = [];
  const values = new Map<string, unknown>();
  const prefix = `${CONFIG_NAMESPACE}:`;
  const lineOf = (fullKey: string) => raw.lines?.get(fullKey);
  for (const [fullKey, value] of Object.entries(raw.values)) {
    if (!fullKey.startsWith(prefix)) continue;
    const name = fullKey.slice(prefix.length);
    const entry = KEYS_BY_NAME.get(name);
    if (entry === undefined) {
      const known = KEYS.map((k) => k.name);
      const message =
        name === CONFIG_NAMESPACE
          ? `is not a key: write each setting on its own line under config: as ${prefix}<key>: <value> (${prefix}tier: dev), not nested under ${prefix}`
          : `unknown key${didYouMean(name, known, { ignoreCase: true, maxDistance: 2, show: (k) => prefix + k })}`;
      problems.push({ key: fullKey, message, line: lineOf(fullKey) });
      continue;
    }
    // Pulumi applies Pulumi.yaml's defaults before the program sees its config, so a key without a
    // fixed default is declared there with its "unset" value; reading that value as absent is what
    // lets the tier (or the key's documented fallback) decide, on `pulumi up` as in the CLI.
    if (isUnsetValue(entry, value)) continue;
    values.set(name, value);
  }

  function problem(name: string, message: string): void {
    const fullKey = prefix + name;
    const key = name.split(".")[0];
    const shown = raw.secretKeys.has(prefix + key) ? withoutSecretValue(message, values.get(key)) : message;
    problems.push({ key: fullKey, message: shown, line: lineOf(fullKey) });
  }

  /** Reads one key with its reader, recording its problems (and returning undefined) when it does not fit. */
  function read(name: string): unknown {
    const entry = KEYS_BY_NAME.get(name);
    if (entry === undefined || !values.has(name)) return undefined;
    const fullKey = prefix + name;
    const secret = raw.secretKeys.has(fullKey);
    try {
      return entry.read(values.get(name), { stack: raw.stack, fullKey, secret });
    } catch (error) {
      if (!(error instanceof ValueProblem)) throw error;
      for (const part of error.parts ?? [{ suffix: "", message: error.message }]) {
        const message = secret ? withoutSecretValue(part.message, values.get(name)) : part.message;
        problems.push({ key: fullKey + part.suffix, message, line: lineOf(fullKey + part.suffix) ?? lineOf(fullKey) });
      }
      return undefined;
    }
  }

  let tier = read("tier") as Tier | undefined;
  const named = tierOfStackName(raw.stack);
  if (tier === undefined && !values.has("tier")) {
    tier = named;
    if (tier === undefined) problem("tier", `is required: stack "${raw.stack}" is not named after a tier, so set dbpipe:tier to one of ${TIERS.join(", ")}`);
  } else if (tier !== undefined && named !== undefined && tier !== named) {
    // A prod stack set to dev would turn every prod rule off with one line.
    problem("tier", `must be ${named} in a stack named ${raw.stack}, got ${tier}: a stack named after a tier has that tier (name the stack something else for another tier)`);
    tier = undefined;
  }

  const settings = { stack: raw.stack, tier: tier ?? "prod", source: raw.source, migrations: {}, risk: {}, infra: {} } as StackSettings;
  for (const entry of KEYS) {
    if (entry.lands === "tier") continue;
    const [area, field] = entry.lands;
    let value = read(entry.name);
    // Unset, or refused (its problem is recorded): the default, so the rules below judge the rest.
    if (value === undefined) {
      const d = entry.default;
      value = "derived" in d ? d.derived(settings) : tierDefault(entry, settings.tier);
    }
    (settings[area] as unknown as Record<string, unknown>)[field] = value;
  }
  const { risk, infra } = settings;
  infra.backupForceDestroy = tier !== "prod";
  const region = raw.values["aws:region"];
  infra.awsRegion = typeof region === "string" && region !== "" ? region : undefined;

  // Rules that span keys, or tie a key to the tier.
  if (tier !== undefined) {
    if (values.has("backupRetentionDays") && infra.backupRetentionDays < MIN_BACKUP_RETENTION_DAYS[tier]) {
      problem("backupRetentionDays", `${infra.backupRetentionDays} is below the ${tier} tier's minimum of ${MIN_BACKUP_RETENTION_DAYS[tier]} days`);
    }
    // A stack may ask for backups and approvals earlier than its tier does, never later.
    for (const p of tierLimitProblems(tier, risk)) problem(p.key, p.message);
    if (tier === "prod") {
      for (const entry of KEYS) {
        if (entry.prodRequires === undefined || entry.lands === "tier") continue;
        const [area, field] = entry.lands;
        const value = (settings[area] as unknown as Record<string, unknown>)[field];
        if (value !== entry.prodRequires.value) problem(entry.name, `must be ${String(entry.prodRequires.value)} in prod: ${entry.prodRequires.because}`);
      }
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
  // What pulumi up connects to: no CLI command reads it (they connect to the URL they are given).
  if (infra.server === "external" && !values.has("directUrl") && options.deploy && !options.newStack) {
    problem("directUrl", `is required when dbpipe:server is external: run \`pulumi config set --secret directUrl <url> --stack ${raw.stack}\``);
  }
  if (infra.server === "rds") {
    for (const name of ["directUrl", "pooledUrl"]) {
      if (values.has(name)) problem(name, "is only used when dbpipe:server is external");
    }
    networkPathProblems(infra, values, raw.stack, options, problem);
  }
  tlsProblems(infra, values, problem);
  // A refused instance class falls back to the tier's, which is in the table.
  if (infra.server === "rds" && values.has("alarmConnections") && RDS_INSTANCE_CLASS_MEMORY_GIB[infra.instanceClass] !== undefined) {
    const max = maxConnections(infra.instanceClass);
    if (infra.alarmConnections >= max) {
      problem("alarmConnections", `(${infra.alarmConnections}) must be below ${infra.instanceClass}'s max_connections (about ${max}): the alarm would fire only once connections are already refused`);
    }
  }
  if (infra.maxAllocatedStorageGb < infra.allocatedStorageGb) {
    problem("maxAllocatedStorageGb", `(${infra.maxAllocatedStorageGb}) must be at least dbpipe:allocatedStorageGb (${infra.allocatedStorageGb})`);
  }
  if (infra.subnetIds !== undefined && infra.vpcId === undefined) {
    problem("subnetIds", "needs dbpipe:vpcId: subnets belong to a VPC, and the security group must be created in the same one");
  }

  if (problems.length > 0 || tier === undefined) throw new SettingsError(raw.source, sortProblems(problems));
  return { ...settings, tier };
}

/** The rules of dbpipe:sslmode and dbpipe:sslRootCert (see src/tls.ts). */
function tlsProblems(infra: StackSettings["infra"], values: ReadonlyMap<string, unknown>, problem: (name: string, message: string) => void): void {
  if (infra.server === "rds") {
    if (infra.networkPath === "tunnel" && infra.sslmode === "verify-full") {
      problem(
        "sslmode",
        "cannot be verify-full with networkPath tunnel: pulumi up connects to the tunnel's local end (localhost), and the RDS certificate names the instance's endpoint; use verify-ca (the default: the certificate must still be signed by RDS), or networkPath vpc",
      );
    }
    if (values.has("sslRootCert")) problem("sslRootCert", "is only used when dbpipe:server is external: rds connections trust the RDS CA bundle dbpipe ships (certs/rds-ca-bundle.pem)");
    return;
  }
  if (infra.sslmode === "verify-ca" && (infra.sslRootCert === undefined || infra.sslRootCert === "system")) {
    problem("sslmode", "verify-ca needs dbpipe:sslRootCert, the server's CA file: against the machine's trusted roots it would accept any certificate they signed, for any host; use verify-full");
  }
  if (infra.sslmode === "require" && values.has("sslRootCert")) {
    problem("sslRootCert", "is not used with sslmode require, which does not verify the server: set dbpipe:sslmode to verify-full (or verify-ca) to use it");
  }
}

/** Loopback names and addresses: where `dbpipe tunnel` listens. */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1)$/i;

/**
 * The rules of an rds stack's network path. The instance is private and the postgresql provider must
 * reach it during `pulumi up`: a stack without a path would create the instance (ten minutes) and
 * then time out at the first database resource.
 */
function networkPathProblems(
  infra: StackSettings["infra"],
  values: ReadonlyMap<string, unknown>,
  stack: string,
  options: ParseOptions,
  problem: (name: string, message: string) => void,
): void {
  if (infra.networkPath === undefined) {
    if (options.deploy && !values.has("networkPath")) {
      problem(
        "networkPath",
        "is required when dbpipe:server is rds: the instance is private, so say how pulumi up reaches it — tunnel (an SSM bastion and `dbpipe tunnel`) " +
          `or vpc (pulumi up inside the VPC, with dbpipe:allowedCidrs or dbpipe:allowedSecurityGroupIds): run \`pulumi config set networkPath tunnel --stack ${stack}\``,
      );
    }
    return;
  }
  if (infra.networkPath === "vpc" && infra.allowedCidrs.length === 0 && infra.allowedSecurityGroupIds.length === 0 && options.deploy && !options.newStack) {
    problem(
      "networkPath",
      "is vpc, but neither dbpipe:allowedCidrs nor dbpipe:allowedSecurityGroupIds lets anything in: list the CIDR or the security group of the runner that runs pulumi up, or use networkPath tunnel",
    );
  }
  if (infra.networkPath === "tunnel" && infra.adminEndpoint !== undefined && !LOOPBACK.test(infra.adminEndpoint.host)) {
    problem("adminEndpoint", `must be on this machine (localhost, 127.0.0.1 or ::1) with networkPath tunnel, where dbpipe tunnel listens, got ${infra.adminEndpoint.host}`);
  }
  if (values.has("bastionSubnetId") && infra.vpcId === undefined) {
    problem("bastionSubnetId", "needs dbpipe:vpcId: the bastion's subnet must be in the instance's VPC");
  }
  // Not the keys with a fixed default: Pulumi hands the program Pulumi.yaml's default for those.
  if (infra.networkPath !== "tunnel" && values.has("bastionSubnetId")) problem("bastionSubnetId", "is only used when dbpipe:networkPath is tunnel");
}

function sortProblems(problems: SettingsProblem[]): SettingsProblem[] {
  return [...problems].sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || a.key.localeCompare(b.key));
}
