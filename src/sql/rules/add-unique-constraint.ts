import { columnConstraints, nodeAs, quoteIdent } from "../ast";
import { type Rule } from "./rule";

/** ADD UNIQUE (or ADD COLUMN ... UNIQUE) on an existing table, building its index under the table lock. */
export const addUniqueConstraint: Rule = {
  id: "add-unique-constraint",
  severity: "medium",
  summary: "ADD CONSTRAINT ... UNIQUE (or ADD COLUMN ... UNIQUE) on an existing table, instead of USING INDEX.",
  why: "PostgreSQL builds the unique index while holding an ACCESS EXCLUSIVE lock that blocks reads and writes for the whole build, and the migration fails on the first duplicate.",
  instead: "CREATE UNIQUE INDEX CONCURRENTLY in a no-transaction migration, then ALTER TABLE ... ADD CONSTRAINT ... UNIQUE USING INDEX (instant).",
  sizeSensitive: true,
  on: {
    "AlterTableCmd:AT_AddConstraint"(cmd, context) {
      const constraint = nodeAs(cmd.def, "Constraint");
      if (constraint?.contype !== "CONSTR_UNIQUE" || constraint.indexname) return;
      const { table } = context;
      context.report({
        message: `ADD ${constraint.conname ? `CONSTRAINT ${quoteIdent(constraint.conname)} ` : ""}UNIQUE on ${table.display} builds its index under an ACCESS EXCLUSIVE lock.`,
        table,
        at: constraint.location,
      });
    },
    "AlterTableCmd:AT_AddColumn"(cmd, context) {
      const column = nodeAs(cmd.def, "ColumnDef");
      if (!column) return;
      const { table } = context;
      for (const c of columnConstraints(column)) {
        if (c.contype !== "CONSTR_UNIQUE") continue;
        context.report({
          message: `ADD COLUMN ${quoteIdent(column.colname ?? "")} ... UNIQUE on ${table.display} builds a unique index over the whole table under an ACCESS EXCLUSIVE lock.`,
          hint: "Add the column without UNIQUE, CREATE UNIQUE INDEX CONCURRENTLY in a no-transaction migration, then ADD CONSTRAINT ... UNIQUE USING INDEX.",
          table,
          at: c.location,
        });
      }
    },
  },
};
