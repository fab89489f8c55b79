import { nodeAs, rowFilter, tableOf } from "../ast";
import { bulkSource } from "./bulk-data-change";
import type { Rule } from "./rule";

/** UPDATE or DELETE with a WHERE on an existing table: a data change of unknown size. */
export const dataChange: Rule = {
  id: "data-change",
  severity: "medium",
  summary: "UPDATE or DELETE with a WHERE clause on an existing table.",
  why: "The migration changes data, not just schema: how many rows it touches depends on the data, it cannot be undone by a down migration, and a large one holds row locks and lags replicas.",
  instead: "Keep targeted fixes small and say what they touch; run large backfills in batches outside the migration.",
  sizeSensitive: true,
  kinds: ["UpdateStmt", "DeleteStmt"],
  check(context) {
    const update = nodeAs(context.statement.node, "UpdateStmt");
    const del = nodeAs(context.statement.node, "DeleteStmt");
    const stmt = update ?? del;
    // Without a WHERE that filters it is update-without-where / delete-without-where; with a join or
    // a subquery it is bulk-data-change.
    if (!stmt || !rowFilter(stmt.whereClause) || bulkSource(context.statement.node)) return;
    const table = tableOf(stmt.relation);
    if (!table || context.isNewTable(table)) return;
    const verb = update ? "UPDATE" : "DELETE FROM";
    context.report({ message: `${verb} ${table.display} changes existing rows; how many depends on the data.`, table, at: stmt.relation?.location });
  },
};
