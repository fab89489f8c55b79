import * as path from "node:path";
import type { Client } from "pg";
import { InputError } from "../errors";
import type { MigrationLayoutSetting, StackSettings } from "../settings/stack-settings";
import type { RiskLevel } from "../settings/tiers";
import { applyMigration, runInOpenTransaction } from "./apply";
import type { StatementSplitter, Timeouts } from "./batch";
import { type MigrationLayout, loadMigrations } from "./files";
import { HISTORY_TABLE, type HistoryRow, appliedBy, ensureHistory, readHistory } from "./history";
import { acquireRunLock, releaseRunLock } from "./lock";
import type { Migration } from "./migration";
import { type Plan, assertRunnable, buildPlan, compareVersions } from "./plan";
import { withSession } from "./session";
import { migrationFailed } from "./sql-error";

/**
 * The migration engine's operations, on parsed settings: status, plan, up, rehearse, baseline,
 * down and repair. The CLI and the Pulumi resource both call these; each opens one session, takes
 * the run lock where it writes, and closes the session whatever happens.
 */

/** What every operation needs. */
export interface EngineOptions {
  /** The stack's parsed settings. */
  settings: StackSettings;
  /** The migrations folder. */
  migrationsDir: string;
  /** The folder's layout; default the stack's `migrationsLayout`. */
  layout?: MigrationLayoutSetting;
  /** The database to migrate: its direct (unpooled) URL. */
  databaseUrl: string;
  /** Base for file names in messages. Default: the working directory. */
  displayBase?: string;
  /** Splits a section into statements with the PostgreSQL parser (no-transaction files, error locations). */
  splitStatements: StatementSplitter;
  /** Progress callbacks, for output as the run goes. */
  events?: EngineEvents;
}

/** Progress of a run. */
export interface EngineEvents {
  /** A migration is about to run. */
  migrationStarted?(migration: Migration): void;
  /** A migration has run (or, rehearsing, has run and will be rolled back). */
  migrationApplied?(migration: Migration, executionMs: number): void;
  /** A migration was skipped (rehearsing a no-transaction file). */
  migrationSkipped?(migration: Migration, reason: string): void;
  /** Waiting for another runner's lock. */
  waitingForLock?(): void;
}

/** A migration this run applied. */
export interface AppliedMigration {
  version: string;
  name: string;
  file: string;
  /** Time it took, in milliseconds. */
  executionMs: number;
  /** Its risk level, when classified. */
  risk?: RiskLevel | null;
}

/** The loaded files and the plan against the database. */
export interface PlanResult {
  /** The layout that was read. */
  layout: MigrationLayout;
  /** Every migration file, in order. */
  migrations: Migration[];
  /** The history rows. */
  history: HistoryRow[];
  /** Files against history. */
  plan: Plan;
}

/** What the risk gate sees: the pending migrations, the applied ones (for schema context) and the session. */
export interface BeforeApplyContext {
  pending: readonly Migration[];
  applied: readonly Migration[];
  client: Client;
  /** True when this is a rehearsal: nothing will be kept, so no backup is needed. */
  rehearse: boolean;
}

/**
 * Decides, after the plan and before anything is written, what the pending migrations need (the
 * risk gate: verdict, backup); throws to refuse. Returns what to record per version.
 */
export type BeforeApply = (context: BeforeApplyContext) => Promise<Map<string, { risk?: RiskLevel | null; backupRef?: string | null }>>;

/** Result of `up`. */
export interface UpResult extends PlanResult {
  /** What this run applied (rehearsing: what ran and was rolled back). */
  applied: AppliedMigration[];
  /** True when this was a rehearsal: nothing was kept. */
  rehearsal: boolean;
  /** Pending no-transaction migrations a rehearsal could not run. */
  skipped: { version: string; reason: string }[];
}

function timeoutsOf(settings: StackSettings): Timeouts {
  return { lockTimeoutMs: settings.migrations.lockTimeoutMs, statementTimeoutMs: settings.migrations.statementTimeoutMs };
}

/** Loads the migration files (before any connection: bad files never reach the database). */
export function loadFiles(options: EngineOptions): { layout: MigrationLayout; migrations: Migration[] } {
  return loadMigrations(path.resolve(options.migrationsDir), {
    layout: options.layout ?? options.settings.migrations.layout,
    displayBase: options.displayBase,
  });
}

async function withRunLock<T>(client: Client, options: EngineOptions, fn: () => Promise<T>): Promise<T> {
  await acquireRunLock(client, options.settings.migrations.lockWaitMs, options.events?.waitingForLock);
  try {
    return await fn();
  } finally {
    await releaseRunLock(client).catch(() => undefined);
  }
}

/** Reads files and history and builds the plan, without writing anything. */
export async function planMigrations(options: EngineOptions): Promise<PlanResult> {
  const files = loadFiles(options);
  return withSession(options.databaseUrl, async (client) => {
    const history = await readHistory(client);
    return { ...files, history, plan: buildPlan(files.migrations, history, { outOfOrder: options.settings.migrations.outOfOrder }) };
  });
}

/**
 * Applies every pending migration, in order, each in its own transaction with its history row.
 * Stops at the first failure: migrations before it stay applied. With `rehearse`, runs every
 * pending transactional migration inside one transaction and rolls it back: nothing changes.
 */
export async function upMigrations(options: EngineOptions, run: { rehearse?: boolean; beforeApply?: BeforeApply } = {}): Promise<UpResult> {
  const files = loadFiles(options);
  return withSession(options.databaseUrl, (client) =>
    withRunLock(client, options, async () => {
      const history = await readHistory(client);
      const plan = buildPlan(files.migrations, history, { outOfOrder: options.settings.migrations.outOfOrder });
      assertRunnable(plan);
      const result: UpResult = { ...files, history, plan, applied: [], rehearsal: Boolean(run.rehearse), skipped: [] };
      if (plan.pending.length === 0) return result;
      // Nothing is written before the gate: a refused plan leaves the database as it was.
      const applied = plan.entries.filter((e) => e.status === "applied" && e.migration).map((e) => e.migration!);
      const extras = run.beforeApply ? await run.beforeApply({ pending: plan.pending, applied, client, rehearse: Boolean(run.rehearse) }) : new Map();
      if (run.rehearse) return rehearse(client, options, plan.pending, result);
      await ensureHistory(client);
      const who = appliedBy();
      for (const m of plan.pending) {
        options.events?.migrationStarted?.(m);
        const extra = extras.get(m.version) ?? {};
        const ms = await applyMigration(client, m, timeoutsOf(options.settings), { ...extra, appliedBy: who }, options.splitStatements);
        result.applied.push({ version: m.version, name: m.name, file: m.file, executionMs: ms, risk: extra.risk ?? null });
        options.events?.migrationApplied?.(m, ms);
      }
      return result;
    }),
  );
}

async function rehearse(client: Client, options: EngineOptions, pending: readonly Migration[], result: UpResult): Promise<UpResult> {
  await client.query("BEGIN");
  try {
    for (const m of pending) {
      if (m.noTransaction) {
        const reason = "runs outside a transaction (-- dbpipe:no-transaction), so it cannot be rehearsed; later migrations are rehearsed without it";
        result.skipped.push({ version: m.version, reason });
        options.events?.migrationSkipped?.(m, reason);
        continue;
      }
      options.events?.migrationStarted?.(m);
      const ms = await runInOpenTransaction(client, m, m.up, timeoutsOf(options.settings), options.splitStatements, "This was a rehearsal: everything it ran was rolled back, and nothing changed.");
      result.applied.push({ version: m.version, name: m.name, file: m.file, executionMs: ms });
      options.events?.migrationApplied?.(m, ms);
    }
  } finally {
    await client.query("ROLLBACK").catch(() => undefined);
    await client.query("RESET ALL").catch(() => undefined);
  }
  return result;
}

/** Result of `baseline`. */
export interface BaselineResult {
  /** The versions recorded as applied. */
  recorded: { version: string; name: string }[];
}

/**
 * Records every migration up to `version` as applied without running it: for a database that
 * already has the schema those migrations would create. Refused when the history already has
 * applied migrations.
 */
export async function baselineMigrations(options: EngineOptions, version: string): Promise<BaselineResult> {
  if (!/^\d+$/.test(version)) throw new InputError(`--version must be a migration version (digits), got "${version}"`);
  const files = loadFiles(options);
  const target = files.migrations.find((m) => m.order === BigInt(version));
  if (!target) {
    throw new InputError(`--version ${version}: no migration has this version; versions here are ${summariseVersions(files.migrations)}`);
  }
  const upTo = files.migrations.filter((m) => m.order <= target.order);
  return withSession(options.databaseUrl, (client) =>
    withRunLock(client, options, async () => {
      await ensureHistory(client);
      const history = await readHistory(client);
      if (history.length > 0) {
        throw new InputError(
          `the history already records ${history.length} migration(s) (newest ${history[history.length - 1].version}): baseline is for a database that has the schema but no dbpipe history`,
        );
      }
      const who = appliedBy();
      await client.query("BEGIN");
      try {
        for (const m of upTo) {
          await client.query(
            `INSERT INTO ${HISTORY_TABLE} (version, name, checksum, applied_by, execution_ms, success, kind) VALUES ($1, $2, $3, coalesce($4, current_user), 0, true, 'baseline')`,
            [m.version, m.name, m.checksum, who ?? null],
          );
        }
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
      return { recorded: upTo.map((m) => ({ version: m.version, name: m.name })) };
    }),
  );
}

function summariseVersions(migrations: readonly Migration[]): string {
  if (migrations.length === 0) return "none (the folder is empty)";
  if (migrations.length <= 6) return migrations.map((m) => m.version).join(", ");
  return `${migrations[0].version} to ${migrations[migrations.length - 1].version}`;
}

/** Result of `down`. */
export interface DownResult {
  /** The migrations reverted, newest first. */
  reverted: AppliedMigration[];
}

/**
 * Reverts applied migrations newer than `toVersion`, newest first, each down part in its own
 * transaction with the removal of its history row. Refused before anything runs when one of them
 * has no down part, or its file is missing or changed. `toVersion` `0` reverts everything.
 */
export async function downMigrations(options: EngineOptions, toVersion: string): Promise<DownResult> {
  if (!/^\d+$/.test(toVersion)) throw new InputError(`--to must be a migration version (digits), got "${toVersion}"`);
  const files = loadFiles(options);
  return withSession(options.databaseUrl, (client) =>
    withRunLock(client, options, async () => {
      const history = await readHistory(client);
      const plan = buildPlan(files.migrations, history, { outOfOrder: true });
      const target = BigInt(toVersion);
      if (target !== 0n && !history.some((r) => BigInt(r.version) === target)) {
        throw new InputError(`--to ${toVersion}: that version is not applied; applied versions are ${history.map((r) => r.version).join(", ") || "none"} (use --to 0 to revert everything)`);
      }
      const toRevert = plan.entries.filter((e) => e.history && BigInt(e.version) > target).reverse();
      const problems: string[] = [];
      for (const e of toRevert) {
        if (e.status === "missing") problems.push(`${e.version} (${e.name}): its file is gone, so there is no down part to run`);
        else if (e.status === "modified") problems.push(`${e.migration!.file}: changed since it was applied, so its down part may not undo what ran`);
        else if (e.status === "failed") problems.push(`${e.migration!.file}: recorded as failed; run \`dbpipe repair\` first`);
        else if (e.history!.kind === "baseline") problems.push(`${e.migration!.file}: recorded by baseline, never run by dbpipe; its down part may not match the database`);
        else if (!e.migration!.down) problems.push(`${e.migration!.file}: has no down part (add one after a line -- dbpipe:down, or write a new migration that undoes it)`);
      }
      if (problems.length > 0) {
        throw new InputError(`cannot revert to ${toVersion}; nothing was reverted:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
      }
      const reverted: AppliedMigration[] = [];
      for (const e of toRevert) {
        const m = e.migration!;
        const down = m.down!;
        options.events?.migrationStarted?.(m);
        const ms = await revertOne(client, options, m, down);
        reverted.push({ version: m.version, name: m.name, file: m.file, executionMs: ms });
        options.events?.migrationApplied?.(m, ms);
      }
      return { reverted };
    }),
  );
}

async function revertOne(client: Client, options: EngineOptions, m: Migration, down: NonNullable<Migration["down"]>): Promise<number> {
  const remove = `DELETE FROM ${HISTORY_TABLE} WHERE version = '${m.version}'`;
  const timeouts = timeoutsOf(options.settings);
  if (m.noTransaction) {
    const downMigration: Migration = { ...m, up: down, down: undefined };
    // The down part of a no-transaction file (DROP INDEX CONCURRENTLY, ...) also runs statement by statement.
    const started = performance.now();
    for (const statement of await options.splitStatements(down, m.file)) {
      await client.query(statement.text).catch((error: unknown) => {
        throw migrationFailed(downMigration, down, error, { line: statement.line, column: statement.column }, "The down part runs outside a transaction: statements before it stay reverted; the migration is still recorded as applied.");
      });
    }
    await client.query(remove);
    return Math.round(performance.now() - started);
  }
  await client.query("BEGIN");
  let ms: number;
  try {
    ms = await runInOpenTransaction(client, m, down, timeouts, options.splitStatements, "Its transaction was rolled back: the migration is still applied.");
    await client.query(remove);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    await client.query("RESET ALL").catch(() => undefined);
  }
  return ms;
}

/** One change `repair` makes to the history. */
export interface RepairChange {
  version: string;
  /** `removed-failed`, `marked-applied`, `checksum-realigned` or `removed-missing`. */
  action: "removed-failed" | "marked-applied" | "checksum-realigned" | "removed-missing";
  /** What it means, in words. */
  description: string;
}

/**
 * Mends the history when the history itself is wrong: clears failed records (the migration runs
 * again), or marks them applied (`markApplied`, when finished by hand); realigns the checksum of
 * applied files that changed; removes records of files deleted on purpose. With `dryRun`, only
 * says what it would change.
 */
export async function repairHistory(options: EngineOptions, run: { dryRun?: boolean; markApplied?: readonly string[] } = {}): Promise<RepairChange[]> {
  const files = loadFiles(options);
  const markApplied = new Set((run.markApplied ?? []).map((v) => v.trim()));
  return withSession(options.databaseUrl, (client) =>
    withRunLock(client, options, async () => {
      const history = await readHistory(client);
      const plan = buildPlan(files.migrations, history, { outOfOrder: true });
      for (const v of markApplied) {
        const entry = plan.entries.find((e) => e.history && e.version === v);
        if (!entry || entry.status !== "failed") {
          throw new InputError(`--mark-applied ${v}: only a migration recorded as failed can be marked applied; ${entry ? `${v} is ${entry.status}` : `${v} is not in the history`}`);
        }
      }
      const changes: { change: RepairChange; sql: string; params: unknown[] }[] = [];
      for (const e of plan.entries) {
        if (e.status === "failed" && markApplied.has(e.version)) {
          changes.push({
            change: { version: e.version, action: "marked-applied", description: `${e.version} (${e.name}): failed record marked applied (finished by hand)` },
            sql: `UPDATE ${HISTORY_TABLE} SET success = true, error = NULL${e.migration ? ", checksum = $2" : ""} WHERE version = $1`,
            params: e.migration ? [e.version, e.migration.checksum] : [e.version],
          });
        } else if (e.status === "failed") {
          changes.push({
            change: { version: e.version, action: "removed-failed", description: `${e.version} (${e.name}): failed record removed; the migration will run again` },
            sql: `DELETE FROM ${HISTORY_TABLE} WHERE version = $1 AND NOT success`,
            params: [e.version],
          });
        } else if (e.status === "modified") {
          changes.push({
            change: { version: e.version, action: "checksum-realigned", description: `${e.version} (${e.name}): recorded checksum set to the file's (${e.history!.checksum.slice(0, 12)} → ${e.checksum.slice(0, 12)})` },
            sql: `UPDATE ${HISTORY_TABLE} SET checksum = $2, name = $3 WHERE version = $1`,
            params: [e.version, e.checksum, e.name],
          });
        } else if (e.status === "missing") {
          changes.push({
            change: { version: e.version, action: "removed-missing", description: `${e.version} (${e.name}): record of a deleted file removed` },
            sql: `DELETE FROM ${HISTORY_TABLE} WHERE version = $1`,
            params: [e.version],
          });
        }
      }
      if (!run.dryRun && changes.length > 0) {
        await client.query("BEGIN");
        try {
          for (const c of changes) await client.query(c.sql, c.params);
          await client.query("COMMIT");
        } catch (error) {
          await client.query("ROLLBACK").catch(() => undefined);
          throw error;
        }
      }
      return changes.map((c) => c.change).sort((a, b) => compareVersions(a.version, b.version));
    }),
  );
}

