import { createHash } from "node:crypto";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type * as OpenStoreModule from "../backup/open-store";
import { isPostgresUrl } from "../database-url";
import { DbpipeError, InputError } from "../errors";
import { HISTORY_TABLE, type HistoryRow, readHistory } from "../migrate/history";
import type * as SessionModule from "../migrate/session";
import { MIGRATION_LAYOUTS, type StackSettings } from "../settings/stack-settings-types";
import { RISK_THRESHOLDS, RULE_SEVERITIES } from "../risk-level";
import { ruleIdProblem } from "../sql/rules/ids";
import { type TierRiskSettings, tierLimitProblems } from "../settings/tier-limits";
import { TIERS, type Tier } from "../settings/tiers";
import { rememberUrlSecrets, redactText } from "../redact";
import type { MigrationSetInputs, MigrationSetProvider, MigrationSetSettings, MigrationSetState } from "./migration-set";
import { MANIFEST_KEY, MANIFEST_VALUE, type MigrationManifest, readManifest } from "./migration-set-manifest";
import type * as DeployModule from "./migration-set-deploy";
import type * as DriftModule from "./migration-set-drift";

/**
 * The MigrationSet resource's provider, as it runs in Pulumi's dynamic-provider process: loaded by
 * package name (`dbpipe/migration-set-provider`) from the project, by the shim that Pulumi stores
 * in the state. An adapter between Pulumi's resource model and the core, with no logic of its own:
 * it checks the inputs' shape, decides what changed, and calls the core's deploy.
 */

/** What Pulumi stores as the resource's outputs: its inputs (minus the manifest) and what the last run did. */
export type MigrationSetOutputs = Omit<MigrationSetInputs, "manifest"> & MigrationSetState;


/** What the engine sends for a value it does not know yet (during preview). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The inputs besides the manifest that a change of updates the resource. */
const COMPARED = ["databaseUrl", "migrationsDir", "layout", "settings", "approvals", "backup"] as const;

const LAYOUTS: readonly string[] = MIGRATION_LAYOUTS.filter((l) => l !== "auto");
const THRESHOLDS: readonly string[] = RISK_THRESHOLDS;
const SEVERITIES: readonly string[] = RULE_SEVERITIES;
const CHECKSUM = /^[0-9a-f]{64}$/;

type Failure = pulumi.dynamic.CheckFailure;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return "missing";
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  if (typeof value === "string") return value === "" ? "empty" : `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return typeof value === "object" ? "a map" : `${typeof value} ${String(value)}`;
}

/** Every problem with the inputs, each naming its property. Unknown values (preview) are not judged. */
export function checkInputs(news: Record<string, unknown>): Failure[] {
  const failures: Failure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  const known = (value: unknown) => value !== UNKNOWN;

  const url = news.databaseUrl;
  if (known(url)) {
    // Never quote the URL: it holds the migrator's password.
    if (typeof url !== "string" || url === "") fail("databaseUrl", `must be the migrator's PostgreSQL URL, got ${typeof url === "string" ? "an empty string" : describe(url)}`);
    else if (!isPostgresUrl(url)) fail("databaseUrl", `must be a postgres:// or postgresql:// URL (the value is not shown: it is a secret)`);
  }
  if (known(news.migrationsDir) && (typeof news.migrationsDir !== "string" || news.migrationsDir.trim() === "")) {
    fail("migrationsDir", `must be the migrations folder, relative to the project; got ${describe(news.migrationsDir)}`);
  }
  if (known(news.layout) && (typeof news.layout !== "string" || !LAYOUTS.includes(news.layout))) {
    fail("layout", `must be one of ${LAYOUTS.join(", ")}; got ${describe(news.layout)}`);
  }
  checkManifest(news.manifest, fail);
  checkSettings(news.settings, fail);
  checkApprovals(news.approvals, fail);
  const backup = news.backup;
  if (known(backup) && backup !== "") {
    if (typeof backup !== "string") fail("backup", `must be a store URL (s3://<bucket>/<prefix> or file:///<path>), or empty for none; got ${describe(backup)}`);
    else {
      try {
        // Loaded only for a stack that backs up: Check and Diff need nothing else of the backup code.
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load of a CommonJS module of this package
        (require("../backup/open-store") as typeof OpenStoreModule).openBackupStore(backup, { source: "the store" });
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        fail("backup", error.message);
      }
    }
  }
  return failures;
}

function checkManifest(value: unknown, fail: (property: string, reason: string) => void): void {
  if (value === UNKNOWN) return;
  const manifest = readManifest(value);
  if (manifest === undefined) return fail("manifest", `must be the JSON text of a map of each migration (<version>_<name>) to its checksum; got ${typeof value === "string" ? "a text that is not one" : describe(value)}`);
  // One pass, each entry's key and value matched once (a 1,000-migration history is 1,000 entries),
  // in key order: the order the entries had when the manifest was a map (Pulumi sorts a map's keys).
  const versions = new Map<bigint, string>();
  for (const key of Object.keys(manifest).sort()) {
    const value = manifest[key];
    const k = MANIFEST_KEY.exec(key);
    if (!k || typeof value !== "string" || !MANIFEST_VALUE.test(value)) {
      fail(`manifest["${key}"]`, /^\d+_./s.test(key) ? `must be the file's sha256 (64 hex digits), followed by " no-transaction" for a file that runs outside a transaction; got ${describe(value)}` : "the key must be <version>_<name>, the version in digits");
      continue;
    }
    const order = BigInt(k[1]);
    const other = versions.get(order);
    if (other !== undefined) fail(`manifest["${key}"]`, `has the same version as ${other}`);
    else versions.set(order, key);
  }
}

function checkSettings(settings: unknown, fail: (property: string, reason: string) => void): void {
  if (settings === UNKNOWN) return;
  if (!isRecord(settings)) return fail("settings", `must be the tier's settings; got ${describe(settings)}`);
  const s = settings;
  const at = (key: string) => `settings.${key}`;
  if (typeof s.stack !== "string" || s.stack === "") fail(at("stack"), `must be the stack's name; got ${describe(s.stack)}`);
  if (typeof s.source !== "string" || s.source === "") fail(at("source"), `must name where the settings come from (Pulumi.<stack>.yaml); got ${describe(s.source)}`);
  if (typeof s.tier !== "string" || !(TIERS as readonly string[]).includes(s.tier)) fail(at("tier"), `must be one of ${TIERS.join(", ")}; got ${describe(s.tier)}`);
  for (const key of ["lockTimeoutMs", "statementTimeoutMs", "lockWaitMs"]) {
    const v = s[key];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) fail(at(key), `must be a whole number of milliseconds, 0 or more; got ${describe(v)}`);
  }
  if (typeof s.largeTableRows !== "number" || !Number.isInteger(s.largeTableRows) || s.largeTableRows < 1) fail(at("largeTableRows"), `must be a whole number of rows, 1 or more; got ${describe(s.largeTableRows)}`);
  if (typeof s.outOfOrder !== "boolean") fail(at("outOfOrder"), `must be true or false; got ${describe(s.outOfOrder)}`);
  if (s.schemaDriftOnRefresh !== undefined && s.schemaDriftOnRefresh !== true) fail(at("schemaDriftOnRefresh"), `must be true, or left out; got ${describe(s.schemaDriftOnRefresh)}`);
  for (const key of ["backupBefore", "requireApprovalAt"]) {
    const v = s[key];
    if (typeof v !== "string" || !THRESHOLDS.includes(v)) fail(at(key), `must be one of ${THRESHOLDS.join(", ")}; got ${describe(v)}`);
  }
  if (!isRecord(s.ruleSeverity)) fail(at("ruleSeverity"), `must map rule ids to ${SEVERITIES.join(", ")}; got ${describe(s.ruleSeverity)}`);
  else {
    for (const [rule, v] of Object.entries(s.ruleSeverity)) {
      const unknown = ruleIdProblem(rule);
      if (unknown !== undefined) fail(at(`ruleSeverity.${rule}`), unknown);
      else if (typeof v !== "string" || !SEVERITIES.includes(v)) fail(at(`ruleSeverity.${rule}`), `must be one of ${SEVERITIES.join(", ")}; got ${describe(v)}`);
    }
  }
  // Whoever declares the resource, its settings stay within the tier's limits (the stack settings
  // parser refuses the same, naming the stack file's keys).
  const shaped = (TIERS as readonly string[]).includes(s.tier as string) && THRESHOLDS.includes(s.backupBefore as string) && THRESHOLDS.includes(s.requireApprovalAt as string) && isRecord(s.ruleSeverity);
  if (shaped) for (const p of tierLimitProblems(s.tier as Tier, s as unknown as TierRiskSettings)) fail(at(p.key), p.message);
  if (typeof s.backupRetentionDays !== "number" || !Number.isInteger(s.backupRetentionDays) || s.backupRetentionDays < 1) fail(at("backupRetentionDays"), `must be a whole number of days, 1 or more; got ${describe(s.backupRetentionDays)}`);
  if (!Array.isArray(s.extensions) || s.extensions.some((e) => typeof e !== "string" || e === "")) fail(at("extensions"), `must list the extensions the stack declares; got ${describe(s.extensions)}`);
}

function checkApprovals(approvals: unknown, fail: (property: string, reason: string) => void): void {
  if (approvals === UNKNOWN) return;
  if (!Array.isArray(approvals)) return fail("approvals", `must be a list of { version, checksum, reason }; got ${describe(approvals)}`);
  approvals.forEach((a: unknown, i) => {
    const at = (key: string) => `approvals[${i}].${key}`;
    if (!isRecord(a)) return fail(`approvals[${i}]`, `must be { version, checksum, reason }; got ${describe(a)}`);
    if (typeof a.version !== "string" || !/^\d+$/.test(a.version)) fail(at("version"), `must be a migration version (digits); got ${describe(a.version)}`);
    if (typeof a.checksum !== "string" || !CHECKSUM.test(a.checksum)) fail(at("checksum"), `must be the migration's sha256 (64 hex digits, as dbpipe plan --json prints it); got ${describe(a.checksum)}`);
    if (typeof a.reason !== "string" || a.reason.trim() === "") fail(at("reason"), `must say why the migration may run; got ${describe(a.reason)}`);
    if (a.approvedBy !== undefined && typeof a.approvedBy !== "string") fail(at("approvedBy"), `must be text; got ${describe(a.approvedBy)}`);
  });
}

/** A value as canonical JSON: keys sorted, so equal values compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/** sha256 of a manifest, independent of key order. */
export function manifestSha256(manifest: MigrationManifest): string {
  return createHash("sha256").update(canonical(manifest)).digest("hex");
}

/** True when a value is, or holds, something the engine does not know yet. */
function hasUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(hasUnknown);
  if (isRecord(value)) return Object.values(value).some(hasUnknown);
  return false;
}

/**
 * What changed, against the outputs of the last run: an input besides the manifest, the manifest,
 * or the history (as the last run or `pulumi refresh` recorded it) no longer matching the
 * manifest. Each is an update; nothing is ever a replacement.
 */
export function changedProperties(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
  const changed: string[] = COMPARED.filter((key) => hasUnknown(news[key]) || canonical(olds[key]) !== canonical(news[key]));
  const manifest = news.manifest === UNKNOWN ? "manifest" : manifestChange(readManifest(news.manifest), olds.manifestSha256, olds.applied);
  if (manifest !== undefined) changed.push(manifest);
  return changed;
}

/**
 * The manifest's part of Diff: `manifest` when it holds a value not known yet or its sha256
 * ({@link manifestSha256}) is not the one the last run recorded; else `applied` when the recorded
 * history does not hold exactly the manifest's migrations, successfully, with their checksums;
 * else nothing.
 */
function manifestChange(manifest: Record<string, unknown> | undefined, recordedSha256: unknown, applied: unknown): "manifest" | "applied" | undefined {
  if (manifest === undefined || hasUnknown(manifest) || recordedSha256 !== manifestSha256(manifest as MigrationManifest)) return "manifest";
  return historyMatches(applied, manifest) ? undefined : "applied";
}

/** Whether the recorded history holds exactly the manifest's migrations, successfully, with their checksums. */
function historyMatches(applied: unknown, manifest: Record<string, unknown>): boolean {
  if (!isRecord(applied)) return false;
  const keys = Object.keys(manifest);
  if (Object.keys(applied).length !== keys.length) return false;
  return keys.every((key) => {
    const value = manifest[key];
    const recorded = applied[key];
    return (
      typeof value === "string" &&
      typeof recorded === "string" &&
      MANIFEST_KEY.test(key) &&
      MANIFEST_VALUE.test(value) &&
      recorded.startsWith(value.slice(0, 12)) &&
      recorded[12] === " " &&
      !recorded.endsWith(" failed") &&
      !recorded.endsWith(" baseline")
    );
  });
}

/** A history row as the outputs record it. */
function appliedEntry(row: HistoryRow): string {
  // toISOString() always ends in .<ms>Z: the seconds are enough.
  const at = `${row.appliedAt.toISOString().slice(0, -5)}Z`;
  return `${row.checksum.slice(0, 12)} ${at} ${row.executionMs}ms${row.success ? (row.kind === "baseline" ? " baseline" : "") : " failed"}`;
}

/** `applied` and `head` from the history table's rows. */
export function historyState(rows: readonly HistoryRow[]): Pick<MigrationSetState, "applied" | "head"> {
  const applied: Record<string, string> = {};
  let head: string | null = null;
  for (const row of rows) {
    const key = `${row.version}_${row.name}`;
    applied[key] = appliedEntry(row);
    if (row.success) head = key;
  }
  return { applied, head };
}

/** The stack settings the core runs with, from the resource's recorded settings. */
export function stackSettingsOf(inputs: Pick<MigrationSetInputs, "settings" | "approvals" | "migrationsDir" | "layout">): StackSettings {
  const s: MigrationSetSettings = inputs.settings;
  return {
    stack: s.stack,
    tier: s.tier,
    source: s.source,
    migrations: {
      dir: inputs.migrationsDir,
      layout: inputs.layout,
      lockTimeoutMs: s.lockTimeoutMs,
      statementTimeoutMs: s.statementTimeoutMs,
      lockWaitMs: s.lockWaitMs,
      outOfOrder: s.outOfOrder,
      schemaDriftOnRefresh: s.schemaDriftOnRefresh === true,
    },
    risk: {
      backupBefore: s.backupBefore,
      requireApprovalAt: s.requireApprovalAt,
      approvals: inputs.approvals,
      ruleSeverity: s.ruleSeverity,
      largeTableRows: s.largeTableRows,
    },
    // Only the extensions matter to the engine (the linter knows declared ones); the rest is the program's.
    infra: { extensions: s.extensions } as StackSettings["infra"],
  };
}

/** The password of a URL, to remove wherever it might appear. */
function passwordsOf(url: unknown): string[] {
  if (typeof url !== "string") return [];
  rememberUrlSecrets(url);
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password ? [password, encodeURIComponent(password)] : [];
  } catch {
    return [];
  }
}

/**
 * The error Pulumi shows: the message alone, with every password removed. A dbpipe error (bad
 * files, a refused plan, a changed file) is the user's to act on, so it carries no stack trace;
 * anything else keeps its stack, redacted too, for the provider's log.
 */
function userFacing(error: unknown, props: Record<string, unknown> | undefined): Error {
  const secrets = passwordsOf(props?.databaseUrl);
  const message = withCliHint(redactText(error instanceof Error ? error.message : String(error), secrets), props);
  const out = new Error(message);
  out.stack = error instanceof DbpipeError || !(error instanceof Error) ? message : redactText(error.stack ?? message, secrets);
  return out;
}

/**
 * A message of the core that asks for a `dbpipe` command (`dbpipe repair` after a failed
 * no-transaction migration, `dbpipe adopt` on a database another tool migrated), with how to run
 * it on the database this `pulumi up` migrates: the CLI does not know that database unless it is told.
 */
function withCliHint(message: string, props: Record<string, unknown> | undefined): string {
  if (!/`dbpipe (repair|baseline|down|adopt)\b/.test(message)) return message;
  const settings = props?.settings;
  const stack = isRecord(settings) && typeof settings.stack === "string" && settings.stack !== "" ? settings.stack : "<stack>";
  return (
    `${message}\nRun that dbpipe command from this project's folder, on the database pulumi up migrates: add ` +
    `--stack ${stack} --database-url "$(pulumi stack output migrationUrl --show-secrets --stack ${stack})" ` +
    `(an rds stack reached through \`dbpipe tunnel\`: the tunnel's local end as the URL's host, with sslmode=verify-ca); then run pulumi up again.`
  );
}

/**
 * Tells the user running `pulumi up` a line of what `dbpipe up` prints on stderr while the run goes
 * on (a backup store's `warning: …`, a wait for another run's lock), passwords removed as in errors.
 * Its stderr is a dynamic provider's one way to do that: the host that runs it
 * (`@pulumi/pulumi/cmd/dynamic-provider`) never connects to the engine, so `pulumi.log` there falls
 * back to `console.*` as well; the engine shows each line that a dynamic provider's process writes
 * in the update's diagnostics, under the stack, since the host passes the provider no URN (Pulumi
 * CLI 3.146 and later; 3.145 hid them, pulumi/pulumi#18249).
 */
function tellPulumiUp(line: string, props: Record<string, unknown>): void {
  process.stderr.write(`${redactText(line, passwordsOf(props.databaseUrl))}\n`);
}

async function guarded<T>(props: Record<string, unknown> | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw userFacing(error, props);
  }
}

/** The inputs, typed (check has validated them). */
function inputsOf(props: Record<string, unknown>): MigrationSetInputs {
  return props as unknown as MigrationSetInputs;
}

/**
 * Runs the core's deploy and returns the full outputs: everything, since what `update` leaves out is
 * wiped from the state. An update that applies nothing (a changed setting, approval or URL) keeps
 * what the last run that did apply migrations recorded, as a `pulumi up` that does not update the
 * resource keeps it: `lastApplied` and `backupKey` name the last migrations applied, whatever ran since.
 */
async function run(props: Record<string, unknown>, olds?: Record<string, unknown>): Promise<MigrationSetOutputs> {
  const inputs = inputsOf(props);
  // Check has made sure it reads.
  const manifest = readManifest(inputs.manifest) as MigrationManifest;
  // Loaded here, not at the top: Check and Diff (all a `pulumi up` with nothing pending calls)
  // need none of the engine, the parser or the backup code behind it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load of a CommonJS module of this package
  const { deployMigrationSet } = require("./migration-set-deploy") as typeof DeployModule;
  const outcome = await deployMigrationSet({
    settings: stackSettingsOf(inputs),
    databaseUrl: inputs.databaseUrl,
    migrationsDir: path.resolve(process.cwd(), inputs.migrationsDir),
    layout: inputs.layout,
    manifest,
    backup: inputs.backup,
    retentionDays: inputs.settings.backupRetentionDays,
    tell: (line) => tellPulumiUp(line, props),
  });
  return {
    databaseUrl: inputs.databaseUrl,
    migrationsDir: inputs.migrationsDir,
    layout: inputs.layout,
    settings: inputs.settings,
    approvals: inputs.approvals,
    backup: inputs.backup,
    manifestSha256: manifestSha256(manifest),
    ...historyState(outcome.history),
    ...(outcome.applied.length === 0 && olds !== undefined ? lastRunOf(olds) : { lastApplied: outcome.applied, backupKey: outcome.backupKey }),
    lastRunAt: new Date().toISOString(),
  };
}

/** What a previous state says the last run that applied migrations did. */
function lastRunOf(olds: Record<string, unknown>): Pick<MigrationSetState, "lastApplied" | "backupKey"> {
  const lastApplied = Array.isArray(olds.lastApplied) && olds.lastApplied.every((v) => typeof v === "string") ? (olds.lastApplied as string[]) : [];
  return { lastApplied, backupKey: lastApplied.length > 0 && typeof olds.backupKey === "string" ? olds.backupKey : null };
}

/** The provider. */
export const migrationSetProvider: MigrationSetProvider = {
  async check(_olds, news) {
    return guarded(news, async () => ({ inputs: news, failures: checkInputs(news) }));
  },

  async diff(_id, olds, news) {
    return guarded(news, async () => {
      const changed = changedProperties(olds, news);
      return { changes: changed.length > 0, replaces: [], deleteBeforeReplace: false };
    });
  },

  async create(inputs) {
    return guarded(inputs, async () => {
      const outs = await run(inputs);
      return { id: `${outs.settings.stack}:${HISTORY_TABLE}`, outs };
    });
  },

  async update(_id, olds, news) {
    return guarded(news, async () => ({ outs: await run(news, olds) }));
  },

  async read(id, props = {}) {
    return guarded(props, async () => {
      const url = props.databaseUrl;
      if (typeof url !== "string") throw new Error("the resource's state has no databaseUrl: run `pulumi up` to record it");
      // Loaded here: Check and Diff need no session.
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load of a CommonJS module of this package
      const { withSession } = require("../migrate/session") as typeof SessionModule;
      const rows = await withSession(url, readHistory);
      // The last refresh's schema drift is replaced, or dropped when the settings no longer ask for it.
      const { schemaDrift: _previous, ...rest } = props;
      const inputs = inputsOf(props);
      if (inputs.settings?.schemaDriftOnRefresh !== true) return { id, props: { ...rest, ...historyState(rows) } };
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when a refresh asks for it, as the engine is
      const { migrationSetSchemaDrift } = require("./migration-set-drift") as typeof DriftModule;
      const schemaDrift = await migrationSetSchemaDrift({ settings: stackSettingsOf(inputs), databaseUrl: url, migrationsDir: inputs.migrationsDir, layout: inputs.layout, projectDir: process.cwd() });
      return { id, props: { ...rest, ...historyState(rows), schemaDrift } };
    });
  },
};
