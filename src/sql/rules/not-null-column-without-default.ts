import { columnConstraints, columnTypeOf, isSerialType, nodeAs, quoteIdent } from "../ast";
import { type Rule } from "./rule";

/** ADD COLUMN ... NOT NULL without a DEFAULT on an existing table. */
export const notNullColumnWithoutDefault: Rule = {
  id: "not-null-column-without-default",
  severity: "medium",
  summary: "ADD COLUMN ... NOT NULL without a DEFAULT on an existing table.",
  why: "Existing rows would have NULL in the new column, so PostgreSQL refuses the statement as soon as the table has a row: the migration passes on an empty dev database and fails in prod.",
  instead: "Add the column with a constant DEFAULT (no rewrite since PostgreSQL 11), or add it nullable, backfill, then constrain it (see set-not-null).",
  on: {
    "AlterTableCmd:AT_AddColumn"(cmd, context) {
      const column = nodeAs(cmd.def, "ColumnDef");
      if (!column || isSerialType(columnTypeOf(column.typeName))) return;
      const constraints = columnConstraints(column);
      const notNull = constraints.some((c) => c.contype === "CONSTR_NOTNULL" || c.contype === "CONSTR_PRIMARY");
      const filled = constraints.some((c) => c.contype === "CONSTR_DEFAULT" || c.contype === "CONSTR_IDENTITY" || c.contype === "CONSTR_GENERATED");
      if (!notNull || filled) return;
      context.report({
        message: `ADD COLUMN ${quoteIdent(column.colname ?? "")} on ${context.table.display} is NOT NULL without a DEFAULT: it fails as soon as the table has a row.`,
        table: context.table,
        at: column.location,
      });
    },
  },
};
