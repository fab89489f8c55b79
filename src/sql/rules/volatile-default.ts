import { columnConstraints, nodeAs, quoteIdent, tableOfNames, volatileFunctionIn } from "../ast";
import type { Rule } from "./rule";

/** ADD COLUMN with a volatile default, a stored generated column, or a column of a domain with constraints, on an existing table. */
export const volatileDefault: Rule = {
  id: "volatile-default",
  severity: "high",
  summary:
    "ADD COLUMN with a volatile DEFAULT (gen_random_uuid(), random(), clock_timestamp(), ...), a stored generated column, or a column whose type is a domain with a CHECK or NOT NULL constraint, on an existing table.",
  why: "A constant default is stored once in the catalog, but a volatile one must be computed for every existing row, and a domain's constraints checked against every row's value: PostgreSQL rewrites the whole table and its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes.",
  instead: "Add the column without a default (nullable), then SET DEFAULT for new rows, then backfill existing rows in batches.",
  sizeSensitive: true,
  commandsOf: "existing-relations",
  on: {
    "AlterTableCmd:AT_AddColumn"(cmd, context) {
      const column = nodeAs(cmd.def, "ColumnDef");
      if (!column) return;
      const { table } = context;
      const name = quoteIdent(column.colname ?? "");
      // An array of a domain is not checked row by row when added: only the domain itself.
      const type = column.typeName?.arrayBounds?.length ? undefined : tableOfNames(column.typeName?.names);
      if (type && context.history.isConstrainedDomain(type.key)) {
        context.report({
          message: `ADD COLUMN ${name} on ${table.display} is of type ${type.display}, a domain with a CHECK or NOT NULL constraint: PostgreSQL rewrites the whole table to check the new column's value in every row, with or without a DEFAULT, under an ACCESS EXCLUSIVE lock.`,
          hint: `Add the column with the domain's base type instead, and put the domain's check on the table: ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT in a later migration (changing the column to ${type.display} later rewrites the table too).`,
          table,
          at: column.typeName?.location,
        });
        return;
      }
      for (const c of columnConstraints(column)) {
        if (c.contype === "CONSTR_DEFAULT") {
          const fn = volatileFunctionIn(c.raw_expr);
          if (fn) {
            context.report({
              message: `ADD COLUMN ${name} on ${table.display} has a default that calls ${fn}, which dbpipe treats as volatile: PostgreSQL rewrites the whole table to fill it, under an ACCESS EXCLUSIVE lock.`,
              table,
              at: c.location,
            });
          }
        } else if (c.contype === "CONSTR_GENERATED") {
          context.report({
            message: `ADD COLUMN ${name} on ${table.display} is a stored generated column: PostgreSQL rewrites the whole table to compute it, under an ACCESS EXCLUSIVE lock.`,
            hint: "Add a plain nullable column, fill it from a trigger for new rows and a batched backfill for old ones.",
            table,
            at: c.location,
          });
        }
      }
    },
  },
};
