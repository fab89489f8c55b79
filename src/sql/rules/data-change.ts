import { rowFilter, tableOf } from "../ast";
import { bulkSource } from "./bulk-data-change";
import type { Rule, RuleContext } from "./rule";
import type { DeleteStmt, UpdateStmt } from "libpg-query";

/** UPDATE or DELETE with a WHERE on an existing table: a data change of unknown size. */
export const dataChange: Rule = {
  id: "data-change",
  severity: "medium",
  summary: "UPDATE or DELETE with a WHERE clause on an existing table.",
  why: "The migration changes data, not just schema: how many rows it touches depends on the data, it cannot be undone by a down migration, and a large one holds row locks and lags replicas.",
  instead: "Keep targeted fixes small and say what they touch; run large backfills in batches outside the migration.",
  sizeSensitive: true,
  on: {
    UpdateStmt: (update, context) => check(context, update, "UPDATE"),
    DeleteStmt: (del, context) => check(context, del, "DELETE FROM"),
  },
};

function check(context: RuleContext, stmt: UpdateStmt | DeleteStmt, verb: string): void {
  // Without a WHERE that filters it is update-without-where / delete-without-where; with a join or
  // a subquery it is bulk-data-change.
  if (!rowFilter(stmt.whereClause) || bulkSource(stmt)) return;
  const table = tableOf(stmt.relation);
  if (!table || context.isNewTable(table)) return;
  context.report({ message: `${verb} ${table.display} changes existing rows; how many depends on the data.`, table, at: stmt.relation?.location });
}
