import { quoteIdent, tableOf } from "../ast";
import type { Rule } from "./rule";

/** What the message calls each kind of relation whose column is renamed (nothing for a table). */
const RELATIONS: Record<string, string> = { OBJECT_TABLE: "", OBJECT_VIEW: "view ", OBJECT_MATVIEW: "materialized view ", OBJECT_FOREIGN_TABLE: "foreign table " };

/** The safe way for a view, whose columns CREATE OR REPLACE VIEW may add at the end but neither rename nor drop. */
const VIEW_HINT =
  "CREATE OR REPLACE VIEW with the new name added as its last column (the old one kept), switch the clients to the new name, then re-create the view without the old one in a later migration.";

/** ALTER TABLE (VIEW, MATERIALIZED VIEW, FOREIGN TABLE) ... RENAME COLUMN on an existing relation. */
export const renameColumn: Rule = {
  id: "rename-column",
  severity: "medium",
  summary: "RENAME COLUMN on an existing table, view, materialized view or foreign table.",
  why: "Every query that names the old column fails the moment the migration commits, while the running application still uses the old name.",
  instead: "Add the new column, write to both, backfill, switch reads to the new column, then drop the old one in a later migration (or use a view for the transition).",
  on: {
    RenameStmt(rename, context) {
      const relation = RELATIONS[rename.relationType ?? ""];
      if (rename.renameType !== "OBJECT_COLUMN" || relation === undefined) return;
      const table = tableOf(rename.relation);
      if (!table || context.isNewTable(table) || context.newColumn(table, rename.subname ?? "")) return;
      context.report({
        message: `RENAME COLUMN ${quoteIdent(rename.subname ?? "")} TO ${quoteIdent(rename.newname ?? "")} on ${relation}${table.display} breaks every query that uses the old name.`,
        ...(rename.relationType === "OBJECT_VIEW" ? { hint: VIEW_HINT } : {}),
        table,
        at: rename.relation?.location,
      });
    },
  },
};
