import type { Client } from "pg";
import { type FoundHistoryTable, TOOL_NAMES, findHistoryTables } from "../adopt/other-history";
import { HISTORY_TABLE, type HistoryRow } from "./history";

/**
 * Another tool's history in a database that dbpipe has no history of: a database that Flyway,
 * Alembic, Prisma Migrate or Drizzle migrated (`adopt/other-history.ts` lists the tools and finds
 * their tables in any schema), where `up` would run every migration again, the ones that tool
 * applied included. `up` refuses it, and `plan` and `status` say so, until the user either adopts that
 * history (`dbpipe adopt`) or says the table is stale (`--ignore-other-history`).
 */

/**
 * The other tools' history tables that stop `up` on this database: looked for only when dbpipe's
 * `history` is empty (no table, or no row), in one catalog query; none when `ignore` (the user's
 * `--ignore-other-history`). A database dbpipe migrates already costs nothing more.
 */
export async function unadoptedHistory(client: Client, history: readonly HistoryRow[], ignore = false): Promise<FoundHistoryTable[]> {
  if (ignore || history.length > 0) return [];
  return findHistoryTables(client);
}

/** What stops `up` when {@link unadoptedHistory} found `tables`, and the two ways on. */
export function unadoptedHistoryMessage(tables: readonly FoundHistoryTable[]): string {
  const tools = [...new Set(tables.map((t) => t.tool))];
  const one = tables.length === 1;
  // One tool (in one table or several), or several tools.
  const tool = tools.length === 1 ? TOOL_NAMES[tools[0]] : undefined;
  const found = one
    ? `${tool}'s migration history (${tables[0].qualified})`
    : tool
      ? `${tool}'s migration history in ${tables.length} tables (${tables.map((t) => t.qualified).join(", ")})`
      : `the migration history of other tools (${tables.map((t) => `${TOOL_NAMES[t.tool]}'s ${t.qualified}`).join(", ")})`;
  const adopt = one
    ? `To take over ${tool}'s history, run \`dbpipe adopt\`, which records what ${tool} applied, running nothing`
    : tool
      ? `To take over ${tool}'s history, run \`dbpipe adopt --from ${tools[0]} --table <schema>.${tables[0].table}\` with the table that is current, which records what ${tool} applied there, running nothing`
      : `To take over one of them, run \`dbpipe adopt --from ${tools.join("|")}\` for the tool whose history is current, which records what it applied, running nothing`;
  return (
    `this database has ${found} but no dbpipe history (${HISTORY_TABLE} is missing or empty): \`up\` would run every migration, those ${tool ?? "these tools"} applied included. ` +
    `${adopt}; \`up\` then runs only the migrations added since. ` +
    `If ${one ? "that table is" : "those tables are"} stale and every migration should run here, run \`dbpipe up --ignore-other-history\`.`
  );
}
