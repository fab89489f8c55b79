import { columnConstraints, nodeAs, quoteIdent } from "../ast";
import { type Rule } from "./rule";

/** ADD PRIMARY KEY (or ADD COLUMN ... PRIMARY KEY) on an existing table, building its index under the table lock. */
export const addPrimaryKey: Rule = {
  id: "add-primary-key",
  severity: "medium",
  summary: "ADD PRIMARY KEY (or ADD COLUMN ... PRIMARY KEY) on an existing table, instead of USING INDEX.",
  why: "PostgreSQL builds the unique index — and checks the columns for NULLs — while holding an ACCESS EXCLUSIVE lock that blocks reads and writes, and fails on the first duplicate or NULL.",
  instead: "Make the columns NOT NULL safely (see set-not-null), CREATE UNIQUE INDEX CONCURRENTLY in a no-transaction migration, then ALTER TABLE ... ADD CONSTRAINT ... PRIMARY KEY USING INDEX.",
  sizeSensitive: true,
  on: {
    "AlterTableCmd:AT_AddConstraint"(cmd, context) {
      const constraint = nodeAs(cmd.def, "Constraint");
      if (constraint?.contype !== "CONSTR_PRIMARY" || constraint.indexname) return;
      const { table } = context;
      context.report({ message: `ADD PRIMARY KEY on ${table.display} builds its index under an ACCESS EXCLUSIVE lock.`, table, at: constraint.location });
    },
    "AlterTableCmd:AT_AddColumn"(cmd, context) {
      const column = nodeAs(cmd.def, "ColumnDef");
      if (!column) return;
      const { table } = context;
      for (const c of columnConstraints(column)) {
        if (c.contype !== "CONSTR_PRIMARY") continue;
        context.report({
          message: `ADD COLUMN ${quoteIdent(column.colname ?? "")} ... PRIMARY KEY on ${table.display} builds a unique index over the whole table under an ACCESS EXCLUSIVE lock.`,
          table,
          at: c.location,
        });
      }
    },
  },
};
