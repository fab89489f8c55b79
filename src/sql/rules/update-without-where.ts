import { isAlwaysTrue, tableOf } from "../ast";
import type { Rule } from "./rule";

/** UPDATE without WHERE on an existing table. */
export const updateWithoutWhere: Rule = {
  id: "update-without-where",
  severity: "high",
  summary: "UPDATE without a WHERE clause (or with one that filters nothing, such as WHERE true or WHERE 1 = 1) on an existing table.",
  why: "Every row is rewritten in one transaction: every row locked, a new version of each written (table bloat, WAL, replica lag), and any mistake applies everywhere.",
  instead: "Add the WHERE you mean; backfill large tables in batches outside the migration (UPDATE ... WHERE id BETWEEN ...).",
  sizeSensitive: true,
  on: {
    UpdateStmt(stmt, context) {
      if (stmt.whereClause && !isAlwaysTrue(stmt.whereClause)) return;
      const table = tableOf(stmt.relation);
      if (!table || context.isNewTable(table)) return;
      const where = stmt.whereClause ? "a WHERE that is always true" : "no WHERE";
      context.report({ message: `UPDATE ${table.display} has ${where}: it rewrites every row.`, table, at: stmt.relation?.location });
    },
  },
};
