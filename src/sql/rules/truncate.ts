import { nodeAs, tableOf } from "../ast";
import type { Rule } from "./rule";

/** TRUNCATE of an existing table. */
export const truncate: Rule = {
  id: "truncate",
  severity: "high",
  summary: "TRUNCATE on an existing table.",
  why: "Every row is deleted at once, under an ACCESS EXCLUSIVE lock that blocks reads and writes; CASCADE empties every table with a foreign key to it too.",
  instead: "Delete the rows you mean to delete, with a WHERE, in batches; name every table explicitly instead of CASCADE.",
  on: {
    TruncateStmt(stmt, context) {
      const cascade = stmt.behavior === "DROP_CASCADE" ? " CASCADE also empties every table that references it." : "";
      for (const r of stmt.relations ?? []) {
        const rv = nodeAs(r, "RangeVar");
        const table = tableOf(rv);
        if (!table || context.isNewTable(table)) continue;
        context.report({ message: `TRUNCATE ${table.display} deletes every row of the table.${cascade}`, table, at: rv?.location });
      }
    },
  },
};
