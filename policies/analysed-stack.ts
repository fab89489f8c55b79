import * as path from "node:path";
import { rawStackConfigFromPulumi } from "../src/infra/pulumi-stack-settings";
import { KEYS, keyEntry, tierDefault } from "../src/settings/keys";
import { CONFIG_NAMESPACE, SettingsError, parseStackSettings, tierOfStackName, type StackSettings } from "../src/settings/stack-settings";
import type { RiskThreshold } from "../src/risk-level";
import { MIN_BACKUP_RETENTION_DAYS, TIERS, isTier, type Tier } from "../src/settings/tiers";

/**
 * The stack a preview analyses, as the pack sees it: the Pulumi engine starts the pack with the
 * stack's name and decrypted config in its environment (`PULUMI_NODEJS_STACK`, `PULUMI_CONFIG`), so
 * `pulumi.getStack()` and the runtime's config answer for that stack. The tier comes from there,
 * never from a resource's props.
 */

/** The repository: Pulumi.yaml, the stack files and the migrations folder are here. */
export const PROJECT_DIR = path.resolve(__dirname, "..");

/** What the policies need to know about the analysed stack. */
export interface AnalysedStack {
  /** The stack's name. */
  stack: string;
  /**
   * The tier the rules apply: the stricter of the tier the stack's name implies (a stack named
   * `prod` is prod) and the one its config declares. A config line declaring a laxer tier does not
   * lower it; a stack with neither is treated as prod.
   */
  tier: Tier;
  /** The stack's settings, parsed with that tier, or undefined when they do not parse. */
  settings?: StackSettings;
  /** Why the settings did not parse (every problem, each naming its key). */
  settingsProblem?: string;
  /** Days backups must be kept: the stack's `dbpipe:backupRetentionDays`, never fewer than the tier's minimum. */
  backupRetentionDays: number;
  /** The lowest migration risk that needs an approval bound to its checksum (prod's threshold, or the stack's when stricter). */
  requireApprovalAt: RiskThreshold;
  /** The lowest migration risk that needs a pre-migration backup (prod's threshold, or the stack's when stricter). */
  backupBefore: RiskThreshold;
}

/** Full keys of the values that must be secrets: the engine hands the pack their plain text without saying which they are. */
const SECRET_KEYS = KEYS.filter((k) => k.secret).map((k) => `${CONFIG_NAMESPACE}:${k.name}`);

/** The stricter of two thresholds (`never` is the laxest). */
function stricterThreshold(a: RiskThreshold, b: RiskThreshold): RiskThreshold {
  const rank = (x: RiskThreshold) => (x === "never" ? 3 : ["low", "medium", "high"].indexOf(x));
  return rank(a) <= rank(b) ? a : b;
}

/**
 * Works out the analysed stack from its name and its config values (full keys, as the Pulumi
 * runtime holds them).
 */
export function analyseStack(stack: string, values: Record<string, unknown>, source = `the config of stack ${stack}`): AnalysedStack {
  const declared = values[`${CONFIG_NAMESPACE}:tier`];
  const named = tierOfStackName(stack);
  const candidates = [named, isTier(declared) ? declared : undefined].filter((t): t is Tier => t !== undefined);
  const tier = candidates.length === 0 ? "prod" : candidates.reduce((a, b) => (TIERS.indexOf(a) >= TIERS.indexOf(b) ? a : b));

  let settings: StackSettings | undefined;
  let settingsProblem: string | undefined;
  try {
    settings = parseStackSettings({
      stack,
      source,
      values: { ...values, [`${CONFIG_NAMESPACE}:tier`]: tier },
      secretKeys: new Set(SECRET_KEYS.filter((k) => k in values)),
    });
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    settingsProblem = error.message;
  }
  const configuredRetention = Number(values[`${CONFIG_NAMESPACE}:backupRetentionDays`]);
  const backupRetentionDays =
    settings?.infra.backupRetentionDays ??
    (Number.isInteger(configuredRetention) && configuredRetention >= MIN_BACKUP_RETENTION_DAYS[tier] ? configuredRetention : (tierDefault(keyEntry("backupRetentionDays"), tier) as number));
  const prod = {
    requireApprovalAt: tierDefault(keyEntry("requireApprovalAt"), "prod") as RiskThreshold,
    backupBefore: tierDefault(keyEntry("backupBefore"), "prod") as RiskThreshold,
  };
  return {
    stack,
    tier,
    settings,
    settingsProblem,
    backupRetentionDays,
    requireApprovalAt: stricterThreshold(prod.requireApprovalAt, settings?.risk.requireApprovalAt ?? prod.requireApprovalAt),
    backupBefore: stricterThreshold(prod.backupBefore, settings?.risk.backupBefore ?? prod.backupBefore),
  };
}

let cached: { key: string; analysed: AnalysedStack } | undefined;

/** The stack being analysed, from the Pulumi runtime (computed once per stack and config). */
export function analysedStack(): AnalysedStack {
  const raw = rawStackConfigFromPulumi(PROJECT_DIR);
  const key = JSON.stringify([raw.stack, raw.values]);
  if (cached?.key !== key) cached = { key, analysed: analyseStack(raw.stack, raw.values, raw.source) };
  return cached.analysed;
}

/** The enforcement level the pack falls back to for the analysed stack: mandatory in prod, advisory elsewhere. */
export function defaultEnforcementLevel(): "mandatory" | "advisory" {
  return analysedStack().tier === "prod" ? "mandatory" : "advisory";
}

