import { nodeAs, tableOfNames } from "../ast";
import type { Rule } from "./rule";

/** DROP TABLE on a table that existed before this migration. */
export const dropTable: Rule = {
  id: "drop-table",
  severity: "high",
  summary: "DROP TABLE on an existing table.",
  why: "The table and every row in it are gone, and every client still reading or writing it starts failing. Only a backup brings it back.",
  instead: "Stop using the table in the application first; rename it or revoke access for a release; back it up; drop it in a later migration with an approval.",
  on: {
    DropStmt(drop, context) {
      if (drop.removeType !== "OBJECT_TABLE") return;
      for (const object of drop.objects ?? []) {
        const table = tableOfNames(nodeAs(object, "List")?.items);
        if (!table || context.isNewTable(table)) continue;
        const cascade = drop.behavior === "DROP_CASCADE" ? " CASCADE also drops the views and foreign keys that depend on it." : "";
        context.report({ message: `DROP TABLE ${table.display} deletes the table and all its rows.${cascade}`, table });
      }
    },
  },
};
