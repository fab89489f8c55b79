import { columnConstraints, columnTypeOf, isSerialType, nodeAs, quoteIdent } from "../ast";
import type { Node } from "libpg-query";
import { type Rule } from "./rule";

/** ADD COLUMN ... NOT NULL without a DEFAULT, or with DEFAULT NULL, on an existing table. */
export const notNullColumnWithoutDefault: Rule = {
  id: "not-null-column-without-default",
  severity: "medium",
  summary: "ADD COLUMN ... NOT NULL without a DEFAULT, or with DEFAULT NULL, on an existing table.",
  why: "Existing rows would have NULL in the new column, so PostgreSQL refuses the statement as soon as the table has a row: the migration passes on an empty dev database and fails in prod.",
  instead: "Add the column with a constant DEFAULT (no rewrite since PostgreSQL 11), or add it nullable, backfill, then constrain it (see set-not-null).",
  on: {
    "AlterTableCmd:AT_AddColumn"(cmd, context) {
      const column = nodeAs(cmd.def, "ColumnDef");
      if (!column || isSerialType(columnTypeOf(column.typeName))) return;
      const constraints = columnConstraints(column);
      const notNull = constraints.some((c) => c.contype === "CONSTR_NOTNULL" || c.contype === "CONSTR_PRIMARY");
      // DEFAULT NULL (or NULL::int) fills existing rows with NULL, as no DEFAULT does.
      const nullDefault = constraints.some((c) => c.contype === "CONSTR_DEFAULT" && isNullConstant(c.raw_expr));
      const filled = constraints.some((c) => (c.contype === "CONSTR_DEFAULT" && !isNullConstant(c.raw_expr)) || c.contype === "CONSTR_IDENTITY" || c.contype === "CONSTR_GENERATED");
      if (!notNull || filled) return;
      const without = nullDefault ? "with DEFAULT NULL, which fills existing rows with NULL" : "without a DEFAULT";
      context.report({
        message: `ADD COLUMN ${quoteIdent(column.colname ?? "")} on ${context.table.display} is NOT NULL ${without}: it fails as soon as the table has a row.`,
        table: context.table,
        at: column.location,
      });
    },
  },
};

/** True for a NULL constant, cast or not (`NULL`, `NULL::int`, `CAST(NULL AS int)`). */
function isNullConstant(expr: Node | undefined): boolean {
  const cast = nodeAs(expr, "TypeCast");
  if (cast) return isNullConstant(cast.arg);
  return nodeAs(expr, "A_Const")?.isnull === true;
}
