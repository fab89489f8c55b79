import type { Client } from "pg";
import { readHistory } from "../history";
import { buildPlan } from "../plan";
import type { EngineOptions, PlanResult } from "../run";
import { type MigrationFolder, loadFiles } from "../files";
import { withSession } from "../session";

/** `plan` (and `status`): the files set against the history, without writing anything. */

/** Reads files and history and builds the plan, without writing anything. */
export async function planMigrations(options: EngineOptions): Promise<PlanResult> {
  const files = loadFiles(options);
  return withSession(options.databaseUrl, (client) => planOn(client, files, options));
}

/** The plan of the loaded `files` against the history on `client`, without writing anything. */
export async function planOn(client: Client, files: MigrationFolder, options: Pick<EngineOptions, "settings">): Promise<PlanResult> {
  const history = await readHistory(client);
  return { ...files, history, plan: buildPlan(files.migrations, history, { outOfOrder: options.settings.migrations.outOfOrder }) };
}

