import { isAlwaysTrue, tableOf } from "../ast";
import type { Rule } from "./rule";

/** DELETE without WHERE on an existing table. */
export const deleteWithoutWhere: Rule = {
  id: "delete-without-where",
  severity: "high",
  summary: "DELETE without a WHERE clause (or with one that filters nothing, such as WHERE true or WHERE 1 = 1) on an existing table.",
  why: "Every row is deleted, in one transaction that locks every row, writes all of them to the WAL and lags the replicas.",
  instead: "Add the WHERE you mean; for large deletes, delete in batches outside the migration.",
  sizeSensitive: true,
  on: {
    DeleteStmt(stmt, context) {
      if (stmt.whereClause && !isAlwaysTrue(stmt.whereClause)) return;
      const table = tableOf(stmt.relation);
      if (!table || context.isNewTable(table)) return;
      const where = stmt.whereClause ? "a WHERE that is always true" : "no WHERE";
      context.report({ message: `DELETE FROM ${table.display} has ${where}: it deletes every row.`, table, at: stmt.relation?.location });
    },
  },
};
