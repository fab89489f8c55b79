import { quoteIdent, tableOf } from "../ast";
import type { Rule } from "./rule";

const RENAMED: Record<string, string> = { OBJECT_TABLE: "TABLE", OBJECT_VIEW: "VIEW", OBJECT_MATVIEW: "MATERIALIZED VIEW", OBJECT_FOREIGN_TABLE: "FOREIGN TABLE" };

/** Renaming (or moving to another schema) an existing table or view. */
export const renameTable: Rule = {
  id: "rename-table",
  severity: "medium",
  summary: "RENAME or SET SCHEMA of an existing table or view.",
  why: "Every query that names the old table fails the moment the migration commits, while the running application still uses the old name.",
  instead: "Create the new table (or a view with the new name over the old table), switch the application over, then drop the old name in a later migration.",
  on: {
    RenameStmt(rename, context) {
      const what = RENAMED[rename.renameType ?? ""];
      const table = tableOf(rename.relation);
      if (!what || !table || context.isNewTable(table)) return;
      context.report({ message: `ALTER ${what} ${table.display} RENAME TO ${quoteIdent(rename.newname ?? "")} breaks every query that uses the old name.`, table, at: rename.relation?.location });
    },
    AlterObjectSchemaStmt(move, context) {
      const what = RENAMED[move.objectType ?? ""];
      const table = tableOf(move.relation);
      if (!what || !table || context.isNewTable(table)) return;
      context.report({ message: `ALTER ${what} ${table.display} SET SCHEMA ${quoteIdent(move.newschema ?? "")} moves it: queries that name it by its old schema break.`, table, at: move.relation?.location });
    },
  },
};
