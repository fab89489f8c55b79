import { quoteIdent } from "../ast";
import { type Rule } from "./rule";

/** ALTER COLUMN ... DROP NOT NULL on an existing table. */
export const dropNotNull: Rule = {
  id: "drop-not-null",
  severity: "low",
  summary: "ALTER COLUMN ... DROP NOT NULL on an existing table.",
  why: "The column can now hold NULLs: clients that assumed a value may crash on the first NULL row.",
  instead: "Check that every client handles NULL in the column before relaxing it.",
  on: {
    "AlterTableCmd:AT_DropNotNull"(cmd, context) {
      const { table } = context;
      if (context.newColumn(table, cmd.name ?? "")) return;
      context.report({ message: `DROP NOT NULL on ${table.display}.${quoteIdent(cmd.name ?? "")}: clients may start reading NULLs they do not expect.`, table });
    },
  },
};
