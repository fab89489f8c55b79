import { quoteIdent } from "../ast";
import type { Rule } from "./rule";

/** ALTER SCHEMA ... RENAME TO. */
export const renameSchema: Rule = {
  id: "rename-schema",
  severity: "medium",
  summary: "ALTER SCHEMA ... RENAME TO.",
  why: "Every query, view definition written as text, search_path setting and grant script that names the schema by its old name breaks as soon as the migration commits.",
  instead: "Create the new schema and move objects over one at a time (ALTER TABLE ... SET SCHEMA), with views or search_path entries under the old name while clients move; drop the old schema last.",
  on: {
    RenameStmt(rename, context) {
      if (rename.renameType !== "OBJECT_SCHEMA") return;
      context.report({ message: `ALTER SCHEMA ${quoteIdent(rename.subname ?? "")} RENAME TO ${quoteIdent(rename.newname ?? "")} breaks every client that names the schema.` });
    },
  },
};
