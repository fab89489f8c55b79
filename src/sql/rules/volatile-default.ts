import { columnConstraints, nodeAs, quoteIdent, volatileFunctionIn } from "../ast";
import type { Rule } from "./rule";

/** ADD COLUMN with a volatile default, or a stored generated column, on an existing table. */
export const volatileDefault: Rule = {
  id: "volatile-default",
  severity: "high",
  summary: "ADD COLUMN with a volatile DEFAULT (gen_random_uuid(), random(), clock_timestamp(), ...) or a stored generated column, on an existing table.",
  why: "A constant default is stored once in the catalog, but a volatile one must be computed for every existing row: PostgreSQL rewrites the whole table and its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes.",
  instead: "Add the column without a default (nullable), then SET DEFAULT for new rows, then backfill existing rows in batches.",
  sizeSensitive: true,
  commandsOf: "existing-relations",
  on: {
    "AlterTableCmd:AT_AddColumn"(cmd, context) {
      const column = nodeAs(cmd.def, "ColumnDef");
      if (!column) return;
      const { table } = context;
      const name = quoteIdent(column.colname ?? "");
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
