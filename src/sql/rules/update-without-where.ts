import { nodeAs, tableOf } from "../ast";
import type { Rule } from "./rule";

/** UPDATE without WHERE on an existing table. */
export const updateWithoutWhere: Rule = {
  id: "update-without-where",
  severity: "high",
  summary: "UPDATE without a WHERE clause on an existing table.",
  why: "Every row is rewritten in one transaction: every row locked, a new version of each written (table bloat, WAL, replica lag), and any mistake applies everywhere.",
  instead: "Add the WHERE you mean; backfill large tables in batches outside the migration (UPDATE ... WHERE id BETWEEN ...).",
  sizeSensitive: true,
  kinds: ["UpdateStmt"],
  check(context) {
    const stmt = nodeAs(context.statement.node, "UpdateStmt");
    if (!stmt || stmt.whereClause) return;
    const table = tableOf(stmt.relation);
    if (!table || context.isNewTable(table)) return;
    context.report({ message: `UPDATE ${table.display} has no WHERE: it rewrites every row.`, table, at: stmt.relation?.location });
  },
};
