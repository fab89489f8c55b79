import * as path from "node:path";
import type { Client } from "pg";
import { InputError } from "../errors";
import type { MigrationLayoutSetting, StackSettings } from "../settings/stack-settings";
import type { RiskLevel } from "../settings/tiers";
import { applyMigration, runInOpenTransaction, runInOwnTransaction } from "./apply";
import { type StatementSplitter, type Timeouts, setSessionTimeouts } from "./batch";
import { type MigrationLayout, loadMigrations } from "./files";
import { HISTORY_TABLE, type HistoryRow, appliedBy, ensureHistory, readHistory } from "./history";
import { acquireRunLock, releaseRunLock } from "./lock";
import type { Migration } from "./migration";
import { type Plan, assertRunnable, buildPlan, compareVersions } from "./plan";
import { withSession } from "./session";
import { migrationFailed } from "./sql-error";
import { inOwnTransaction } from "./transaction-control";

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

/** What the risk gate sees: the migrations about to run, the applied ones (for schema context) and the session. */
export interface BeforeApplyContext {
  /** The migrations about to run: pending ones for `up`; for `down`, the ones to revert, newest first (their down parts run). */
  pending: readonly Migration[];
  /** The applied migrations, read for what they did to the schema. */
  applied: readonly Migration[];
  client: Client;
  /** True when this is a rehearsal: nothing will be kept, so no backup is needed. */
  rehearse: boolean;
  /** `down` when the down parts of `pending` are about to run; default `up`. */
  direction?: "up" | "down";
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
  return withSession(options.databaseUrl, (client) => planOn(client, files, options));
}

/** The plan of the loaded `files` against the history on `client`, without writing anything. */
export async function planOn(client: Client, files: { layout: MigrationLayout; migrations: Migration[] }, options: Pick<EngineOptions, "settings">): Promise<PlanResult> {
  const history = await readHistory(client);
  return { ...files, history, plan: buildPlan(files.migrations, history, { outOfOrder: options.settings.migrations.outOfOrder }) };
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
      // A file whose own COMMIT would split it from its history row never starts, nor does any
      // other migration of this run (a whole-file BEGIN/COMMIT wrapper is dropped instead).
      const runnable = await inOwnTransaction(plan.pending, "up", run.rehearse ? "Nothing was rehearsed." : "Nothing was applied.");
      // Nothing is written before the gate: a refused plan leaves the database as it was. The gate
      // classifies the files as written.
      const applied = plan.entries.filter((e) => e.status === "applied" && e.migration).map((e) => e.migration!);
      const extras = run.beforeApply ? await run.beforeApply({ pending: plan.pending, applied, client, rehearse: Boolean(run.rehearse) }) : new Map();
      if (run.rehearse) return rehearse(client, options, runnable, result);
      await ensureHistory(client);
      const who = appliedBy();
      for (const m of runnable) {
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
      // RESET ALL after each: one migration's session settings (search_path, ...) must not carry
      // into the next, as they do not in a real `up`. Inside the transaction, it is rolled back too.
      const ms = await runInOpenTransaction(
        client,
        m,
        m.up,
        timeoutsOf(options.settings),
        options.splitStatements,
        "This was a rehearsal: everything it ran was rolled back, and nothing changed.",
        ["RESET ALL"],
      );
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
  /** The newest migration still applied afterwards; null when none is. */
  at: { version: string; name: string } | null;
  /** The pre-revert backup's reference, when the stack's verdict asked for one. */
  backupRef: string | null;
}

/**
 * How far `down` goes: `{ to: V }` keeps the applied migration whose version is V (compared as
 * numbers: `3` names `0003`) and reverts every newer one; `{ all: true }` reverts every applied
 * migration. A bare string is `{ to: string }`.
 *
 * `--to 0` predates `--all` and means "revert everything" while no migration has version 0. When
 * one does (Drizzle's `0000_...`), `--to 0` is ambiguous and refused: `--all` reverts everything,
 * and the version spelled as in its file name (`--to 0000`) keeps it.
 */
export type DownTarget = { to: string } | { all: true };

/** Options of {@link downMigrations}. */
export interface DownRun {
  /**
   * The risk gate, as for `up` (with `direction: "down"`): judges the down parts about to run,
   * refuses before anything is reverted, takes the backup the verdict asks for.
   */
  beforeRevert?: BeforeApply;
}

/**
 * Reverts applied migrations newer than the target, newest first, each down part in its own
 * transaction with the removal of its history row. Refused before anything runs when one of them
 * has no down part, or its file is missing or changed, or its down part has transaction control of
 * its own, or the gate refuses.
 */
export async function downMigrations(options: EngineOptions, target: string | DownTarget, run: DownRun = {}): Promise<DownResult> {
  const wanted: DownTarget = typeof target === "string" ? { to: target } : target;
  if ("to" in wanted && !/^\d+$/.test(wanted.to)) throw new InputError(`--to must be a migration version (digits), got "${wanted.to}"`);
  const files = loadFiles(options);
  return withSession(options.databaseUrl, (client) =>
    withRunLock(client, options, async () => {
      const history = await readHistory(client);
      const plan = buildPlan(files.migrations, history, { outOfOrder: true });
      const keep = keptVersion(wanted, history);
      const what = keep === undefined ? "revert every migration" : `revert to ${(wanted as { to: string }).to}`;
      const toRevert = plan.entries.filter((e) => e.history && (keep === undefined || BigInt(e.version) > keep)).reverse();
      const problems: string[] = [];
      for (const e of toRevert) {
        if (e.status === "missing") problems.push(`${e.version} (${e.name}): its file is gone, so there is no down part to run`);
        else if (e.status === "modified") problems.push(`${e.migration!.file}: changed since it was applied, so its down part may not undo what ran`);
        else if (e.status === "failed") problems.push(`${e.migration!.file}: recorded as failed; run \`dbpipe repair\` first`);
        else if (e.history!.kind === "baseline") problems.push(`${e.migration!.file}: recorded by baseline, never run by dbpipe; its down part may not match the database`);
        else if (!e.migration!.down) problems.push(`${e.migration!.file}: has no down part (add one after a line -- dbpipe:down, or write a new migration that undoes it)`);
      }
      if (problems.length > 0) {
        throw new InputError(`cannot ${what}; nothing was reverted:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
      }
      const reverting = toRevert.map((e) => e.migration!);
      const kept = plan.entries.filter((e) => e.history && !toRevert.includes(e)).at(-1);
      const result: DownResult = { reverted: [], at: kept ? { version: kept.version, name: kept.name } : null, backupRef: null };
      if (reverting.length === 0) return result;
      const runnable = await inOwnTransaction(reverting, "down", "Nothing was reverted.");
      if (run.beforeRevert) {
        const applied = plan.entries.filter((e) => e.history && e.migration).map((e) => e.migration!);
        const extras = await run.beforeRevert({ pending: reverting, applied, client, rehearse: false, direction: "down" });
        result.backupRef = [...extras.values()].find((x) => x.backupRef)?.backupRef ?? null;
      }
      for (const m of runnable) {
        options.events?.migrationStarted?.(m);
        const ms = await revertOne(client, options, m, m.down!);
        result.reverted.push({ version: m.version, name: m.name, file: m.file, executionMs: ms });
        options.events?.migrationApplied?.(m, ms);
      }
      return result;
    }),
  );
}

/** The version `down` keeps (reverting what is newer); undefined to revert everything. */
function keptVersion(target: DownTarget, history: readonly HistoryRow[]): bigint | undefined {
  if ("all" in target) return undefined;
  const version = BigInt(target.to);
  const named = history.find((r) => BigInt(r.version) === version);
  if (target.to === "0") {
    if (!named) return undefined;
    const keepIt = named.version === "0" ? "00" : named.version;
    throw new InputError(
      `--to 0 is ambiguous here: migration ${named.version} (${named.name}) has version 0. ` +
        `To revert every migration, ${named.version} included, use --all; to keep ${named.version} and revert what is newer, use --to ${keepIt}. Nothing was reverted.`,
    );
  }
  if (!named) {
    throw new InputError(`--to ${target.to}: that version is not applied; applied versions are ${history.map((r) => r.version).join(", ") || "none"} (use --all to revert everything)`);
  }
  return version;
}

async function revertOne(client: Client, options: EngineOptions, m: Migration, down: NonNullable<Migration["down"]>): Promise<number> {
  const remove = `DELETE FROM ${HISTORY_TABLE} WHERE version = '${m.version}'`;
  const timeouts = timeoutsOf(options.settings);
  if (!m.noTransaction) {
    return runInOwnTransaction(client, m, down, timeouts, [remove], options.splitStatements, "Its transaction was rolled back: the migration is still applied.");
  }
  const downMigration: Migration = { ...m, up: down, down: undefined };
  // The down part of a no-transaction file (DROP INDEX CONCURRENTLY, ...) also runs statement by
  // statement, with the stack's timeouts like `up`, and leaves no session settings behind.
  const statements = await options.splitStatements(down, m.file);
  await client.query(setSessionTimeouts(timeouts));
  const started = performance.now();
  try {
    for (const statement of statements) {
      await client.query(statement.text).catch((error: unknown) => {
        throw migrationFailed(downMigration, down, error, { line: statement.line, column: statement.column }, "The down part runs outside a transaction: statements before it stay reverted; the migration is still recorded as applied.");
      });
    }
  } finally {
    await client.query("RESET ALL").catch(() => undefined);
  }
  await client.query(remove);
  return Math.round(performance.now() - started);
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
export async function repairHistory(options: EngineOptions, run: { dryRun?: boolean; markApplied?: readonly string[]; forgetAll?: boolean } = {}): Promise<RepairChange[]> {
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
      // Every applied record without a file is what a wrong --dir or --layout looks like: forgetting
      // them all would make the next `up` run the whole history again on a database that has it.
      const recorded = plan.entries.filter((e) => e.history?.success);
      const missing = recorded.filter((e) => e.status === "missing");
      if (recorded.length > 1 && missing.length === recorded.length && !run.forgetAll) {
        throw new InputError(
          `none of the ${recorded.length} applied migrations in the history has a file in ${path.relative(options.displayBase ?? process.cwd(), path.resolve(options.migrationsDir)) || "."} (layout ${files.layout}): ` +
            "is --dir or --layout wrong? Repairing would forget the whole history, and the next `dbpipe up` would run every migration again. " +
            "If the history really is obsolete, run `dbpipe repair --forget-all`.",
        );
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

