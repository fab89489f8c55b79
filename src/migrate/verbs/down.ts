import type { Client } from "pg";
import { InputError } from "../../errors";
import { runInOwnTransaction } from "../apply";
import { setSessionTimeouts } from "../batch";
import { HISTORY_TABLE, type HistoryRow, readHistory } from "../history";
import type { Migration } from "../../migration";
import { buildPlan } from "../plan";
import { type AppliedMigration, type BeforeApply, type EngineOptions, type PlanResult, timeoutsOf, withLockedSession } from "../run";
import { loadFiles } from "../files";
import { migrationFailed } from "../sql-error";
import { splitWithParser } from "../statements";
import { inOwnTransaction } from "../transaction-control";

/** `down`: revert applied migrations with their down parts. */

/** Result of `down`. */
export interface DownResult extends PlanResult {
  /** The migrations reverted, newest first. */
  reverted: AppliedMigration[];
  /** The newest migration still applied afterwards; null when none is. */
  at: { version: string; name: string } | null;
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
  return withLockedSession(options, async (client) => {
    const history = await readHistory(client);
    const plan = buildPlan(files.migrations, history, { outOfOrder: true });
    const keep = keptVersion(wanted, history);
    const what = keep === undefined ? "revert every migration" : `revert to ${(wanted as { to: string }).to}`;
    const toRevert = plan.entries.filter((e) => e.history && (keep === undefined || BigInt(e.version) > keep)).reverse();
    const problems: string[] = [];
    for (const e of toRevert) {
      if (e.status === "missing") problems.push(`${e.version} (${e.name}): its file is gone, so there is no down part to run`);
      else if (e.status === "modified") problems.push(`${e.migration!.file}: changed since it was applied, so its down part may not undo what ran (if only its down part was added or changed, \`dbpipe repair\` records the file's new checksum)`);
      else if (e.status === "failed") problems.push(`${e.migration!.file}: recorded as failed; run \`dbpipe repair\` first`);
      else if (e.history!.kind === "baseline") problems.push(`${e.migration!.file}: recorded by baseline, never run by dbpipe; its down part may not match the database`);
      else if (!e.migration!.down) problems.push(`${e.migration!.file}: has no down part (add one after a line -- dbpipe:down, then run \`dbpipe repair\` to record the file's new checksum; or write a new migration that undoes it)`);
    }
    if (problems.length > 0) {
      throw new InputError(`cannot ${what}; nothing was reverted:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    }
    const reverting = toRevert.map((e) => e.migration!);
    const kept = plan.entries.filter((e) => e.history && !toRevert.includes(e)).at(-1);
    const result: DownResult = { ...files, history, plan, reverted: [], at: kept ? { version: kept.version, name: kept.name } : null };
    if (reverting.length === 0) return result;
    const runnable = await inOwnTransaction(reverting, "down", "Nothing was reverted.");
    if (run.beforeRevert) {
      const applied = plan.entries.filter((e) => e.history && e.migration).map((e) => e.migration!);
      await run.beforeRevert({ pending: reverting, applied, client, rehearse: false, direction: "down" });
    }
    for (const m of runnable) {
      options.events?.migrationStarted?.(m);
      const ms = await revertOne(client, options, m, m.down!);
      result.reverted.push({ version: m.version, name: m.name, file: m.file, executionMs: ms });
      options.events?.migrationApplied?.(m, ms);
    }
    return result;
  });
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
    // Version 0 spelled with more zeros, where no migration has it: the same as --to 0.
    if (version === 0n) return undefined;
    throw new InputError(`--to ${target.to}: that version is not applied; applied versions are ${history.map((r) => r.version).join(", ") || "none"} (use --all to revert everything)`);
  }
  return version;
}

async function revertOne(client: Client, options: EngineOptions, m: Migration, down: NonNullable<Migration["down"]>): Promise<number> {
  const remove = `DELETE FROM ${HISTORY_TABLE} WHERE version = '${m.version}'`;
  const timeouts = timeoutsOf(options.settings);
  if (!m.noTransaction) {
    return runInOwnTransaction(client, m, down, timeouts, [remove], "Its transaction was rolled back: the migration is still applied.");
  }
  const downMigration: Migration = { ...m, up: down, down: undefined };
  // The down part of a no-transaction file (DROP INDEX CONCURRENTLY, ...) also runs statement by
  // statement, with the stack's timeouts like `up`, and leaves no session settings behind.
  const statements = await splitWithParser(down, m.file);
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

