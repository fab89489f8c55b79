import type { Client } from "pg";
import { readHistory } from "../history";
import { buildPlan } from "../plan";
import type { EngineOptions, PlanResult } from "../run";
import { type MigrationFolder, loadFiles } from "../files";
import { withSession } from "../session";
import { refusedInOwnTransaction } from "../transaction-control";
import { unadoptedHistory } from "../unadopted-history";

/** `plan` (and `status`): the files set against the history, without writing anything. */

/** Reads files and history and builds the plan, without writing anything. */
export async function planMigrations(options: EngineOptions): Promise<PlanResult> {
  const files = loadFiles(options);
  return withSession(options.databaseUrl, (client) => reportedPlanOn(client, files, options));
}

/**
 * {@link planOn} as `plan` and `status` report it: with the pending files `up` would refuse to
 * start among the problems (a COMMIT of their own, a statement PostgreSQL refuses in a
 * transaction block), so that they stop where `up` would, before anything is applied.
 */
export async function reportedPlanOn(client: Client, files: MigrationFolder, options: Pick<EngineOptions, "settings" | "ignoreOtherHistory">): Promise<PlanResult> {
  const result = await planOn(client, files, options);
  const refused = await refusedInOwnTransaction(result.plan.pending);
  return refused.length === 0 ? result : { ...result, plan: { ...result.plan, problems: [...result.plan.problems, ...refused] } };
}

/**
 * The plan of the loaded `files` against the history on `client`, without writing anything; on a
 * database with no dbpipe history, another tool's history table is a problem of the plan, as `up`
 * refuses it (unless `ignoreOtherHistory`).
 */
export async function planOn(client: Client, files: MigrationFolder, options: Pick<EngineOptions, "settings" | "ignoreOtherHistory">): Promise<PlanResult> {
  const history = await readHistory(client);
  const otherHistory = await unadoptedHistory(client, history, options.ignoreOtherHistory);
  return { ...files, history, plan: buildPlan(files.migrations, history, { outOfOrder: options.settings.migrations.outOfOrder, otherHistory }) };
}

