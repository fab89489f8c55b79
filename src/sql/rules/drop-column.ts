import { quoteIdent } from "../ast";
import { type Rule } from "./rule";

/** ALTER TABLE ... DROP COLUMN on an existing table. */
export const dropColumn: Rule = {
  id: "drop-column",
  severity: "medium",
  summary: "DROP COLUMN on an existing table.",
  why: "The column's data is gone, and every client still selecting or inserting it fails as soon as the migration commits — including the previous release of the application during a deploy.",
  instead: "Stop reading and writing the column in the application first (ignore it in the ORM), deploy that, then drop the column in a later migration.",
  on: {
    "AlterTableCmd:AT_DropColumn"(cmd, context) {
      const { table } = context;
      // A column added earlier in this migration holds no data anyone wrote.
      if (context.newColumn(table, cmd.name ?? "")) return;
      context.report({ message: `DROP COLUMN ${quoteIdent(cmd.name ?? "")} on ${table.display} deletes the column's data; clients still using it break.`, table });
    },
  },
};
