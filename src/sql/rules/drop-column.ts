import { quoteIdent } from "../ast";
import { type Rule } from "./rule";

/** ALTER TABLE ... DROP COLUMN on an existing table, and ALTER TYPE ... DROP ATTRIBUTE of an existing composite type. */
export const dropColumn: Rule = {
  id: "drop-column",
  severity: "medium",
  summary: "DROP COLUMN on an existing table, or DROP ATTRIBUTE of an existing composite type.",
  why: "The column's data is gone, and every client still selecting or inserting it fails as soon as the migration commits — including the previous release of the application during a deploy. DROP ATTRIBUTE of a composite type does the same to every column of that type: PostgreSQL strips the attribute's value from every row that holds the type, without CASCADE and without a word.",
  instead: "Stop reading and writing the column in the application first (ignore it in the ORM), deploy that, then drop the column in a later migration.",
  // Its own choice of relations: the tables that existed before, and the composite types.
  commandsOf: "every-alter",
  on: {
    "AlterTableCmd:AT_DropColumn"(cmd, context) {
      const { table, alter } = context;
      if (alter.objtype === "OBJECT_TYPE") {
        if (context.isNewType(table)) return;
        context.report({
          message: `ALTER TYPE ${table.display} DROP ATTRIBUTE ${quoteIdent(cmd.name ?? "")} deletes that value from every column of type ${table.display}, in every table and row that holds it; clients still using it break.`,
          table,
        });
        return;
      }
      if (alter.objtype !== "OBJECT_TABLE" || context.isNewTable(table)) return;
      // A column added earlier in this migration holds no data anyone wrote.
      if (context.newColumn(table, cmd.name ?? "")) return;
      context.report({ message: `DROP COLUMN ${quoteIdent(cmd.name ?? "")} on ${table.display} deletes the column's data; clients still using it break.`, table });
    },
  },
};
