import { quoteIdent, tableOf } from "../ast";
import type { Rule } from "./rule";

/** ALTER TABLE ... RENAME COLUMN on an existing table. */
export const renameColumn: Rule = {
  id: "rename-column",
  severity: "medium",
  summary: "RENAME COLUMN on an existing table.",
  why: "Every query that names the old column fails the moment the migration commits, while the running application still uses the old name.",
  instead: "Add the new column, write to both, backfill, switch reads to the new column, then drop the old one in a later migration (or use a view for the transition).",
  on: {
    RenameStmt(rename, context) {
      if (rename.renameType !== "OBJECT_COLUMN" || rename.relationType !== "OBJECT_TABLE") return;
      const table = tableOf(rename.relation);
      if (!table || context.isNewTable(table) || context.newColumn(table, rename.subname ?? "")) return;
      context.report({
        message: `RENAME COLUMN ${quoteIdent(rename.subname ?? "")} TO ${quoteIdent(rename.newname ?? "")} on ${table.display} breaks every query that uses the old name.`,
        table,
        at: rename.relation?.location,
      });
    },
  },
};
