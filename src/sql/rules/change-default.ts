import { quoteIdent } from "../ast";
import { type Rule } from "./rule";

/** Changing or dropping an existing column's default. Adding a default where there was none is not reported. */
export const changeDefault: Rule = {
  id: "change-default",
  severity: "medium",
  summary: "ALTER COLUMN ... SET DEFAULT that replaces a default, or DROP DEFAULT.",
  why: "Inserts that leave the column out start getting a different value (or NULL, or an error for a NOT NULL column) as soon as the migration commits, while the application still expects the old behaviour.",
  instead: "Make the application write the value explicitly first; change the default in its own small migration, and say in the review what inserts will get.",
  on: {
    "AlterTableCmd:AT_ColumnDefault"(cmd, context) {
      const { table } = context;
      const column = quoteIdent(cmd.name ?? "");
      // A column added earlier in this migration has no client that relies on its default yet.
      if (context.newColumn(table, cmd.name ?? "")) return;
      const known = context.history.column(table.key, cmd.name ?? "");
      // Adding a default to a column that has none is low risk: nothing that works today changes.
      if (known && !known.hasDefault) return;
      if (cmd.def === undefined) {
        const consequence = known?.notNull ? "fail (the column is NOT NULL)" : "get NULL";
        context.report({ message: `DROP DEFAULT on ${table.display}.${column}: inserts that leave the column out will ${consequence}.`, table });
      } else {
        const certainty = known ? "replaces its default" : "may replace an existing default (dbpipe has not seen the column in the migrations)";
        context.report({ message: `SET DEFAULT on ${table.display}.${column} ${certainty}: inserts that leave the column out get the new value.`, table });
      }
    },
  },
};
