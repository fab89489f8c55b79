import type { Client } from "pg";
import { readHistory } from "../history";
import { buildPlan } from "../plan";
import type { EngineOptions, PlanResult } from "../run";
import { type MigrationFolder, loadFiles } from "../files";
import { withSession } from "../session";
import { unadoptedHistory } from "../unadopted-history";

/** `plan` (and `status`): the files set against the history, without writing anything. */

/** Reads files and history and builds the plan, without writing anything. */
export async function planMigrations(options: EngineOptions): Promise<PlanResult> {
  const files = loadFiles(options);
  return withSession(options.databaseUrl, (client) => planOn(client, files, options));
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

