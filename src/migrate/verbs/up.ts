import type { Client } from "pg";
import { applyMigration, prepareHistoryInsert, runInOpenTransaction } from "../apply";
import { appliedBy, ensureHistory } from "../history";
import type { Migration } from "../../migration";
import { assertRunnable } from "../plan";
import { type AppliedMigration, type BeforeApply, type EngineOptions, type PlanResult, timeoutsOf, withLockedSession } from "../run";
import { loadFiles } from "../files";
import { inOwnTransaction } from "../transaction-control";
import { withServerVersion } from "../batch";
import type { CheckSource } from "../../sql/check-parse";
import { planOn } from "./plan";

/** `up`: apply the pending migrations, or rehearse them. */

/** Result of `up`. */
export interface UpResult extends PlanResult {
  /** What this run applied (rehearsing: what ran and was rolled back). */
  applied: AppliedMigration[];
  /** True when this was a rehearsal: nothing was kept. */
  rehearsal: boolean;
  /** Pending no-transaction migrations a rehearsal could not run. */
  skipped: { version: string; reason: string }[];
}

/**
 * Applies every pending migration, in order, each in its own transaction with its history row.
 * Stops at the first failure: migrations before it stay applied. With `rehearse`, runs every
 * pending transactional migration inside one transaction and rolls it back: nothing changes.
 * `checks` may have the check-only parses of the pending files done already.
 */
export async function upMigrations(options: EngineOptions, run: { rehearse?: boolean; beforeApply?: BeforeApply; checks?: CheckSource } = {}): Promise<UpResult> {
  const files = loadFiles(options);
  return withLockedSession(options, async (client) => {
    // The plan `plan` and `status` show, another tool's history included.
    const planned = await planOn(client, files, options);
    const { plan } = planned;
    assertRunnable(plan);
    const result: UpResult = { ...planned, applied: [], rehearsal: Boolean(run.rehearse), skipped: [] };
    if (plan.pending.length === 0) return result;
    // A file whose own COMMIT would split it from its history row, or that holds a statement
    // PostgreSQL refuses in a transaction block, never starts, nor does any other migration of
    // this run (a whole-file BEGIN/COMMIT wrapper is dropped instead).
    const runnable = await inOwnTransaction(plan.pending, "up", run.rehearse ? "Nothing was rehearsed." : "Nothing was applied.", run.checks);
    // Nothing is written before the gate: a refused plan leaves the database as it was. The gate
    // classifies the files as written.
    const applied = plan.entries.filter((e) => e.status === "applied" && e.migration).map((e) => e.migration!);
    const extras = run.beforeApply ? await run.beforeApply({ pending: plan.pending, applied, client, rehearse: Boolean(run.rehearse) }) : new Map();
    if (run.rehearse) return rehearse(client, options, runnable, result);
    await ensureHistory(client);
    await prepareHistoryInsert(client);
    const timeouts = await withServerVersion(client, timeoutsOf(options.settings));
    const who = appliedBy();
    for (const m of runnable) {
      options.events?.migrationStarted?.(m);
      const extra = extras.get(m.version) ?? {};
      const ms = await applyMigration(client, m, timeouts, { ...extra, appliedBy: who });
      result.applied.push({ version: m.version, name: m.name, file: m.file, executionMs: ms, risk: extra.risk ?? null });
      options.events?.migrationApplied?.(m, ms);
    }
    return result;
  });
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

