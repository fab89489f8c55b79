import { columnConstraints, nodeAs, quoteIdent } from "../ast";
import { type Rule } from "./rule";

/** ADD PRIMARY KEY (or ADD COLUMN ... PRIMARY KEY) on an existing table, building its index under the table lock. */
export const addPrimaryKey: Rule = {
  id: "add-primary-key",
  severity: "medium",
  summary: "ADD PRIMARY KEY (or ADD COLUMN ... PRIMARY KEY) on an existing table, instead of USING INDEX; USING INDEX over a column that may hold NULLs.",
  why: "PostgreSQL builds the unique index — and checks the columns for NULLs — while holding an ACCESS EXCLUSIVE lock that blocks reads and writes, and fails on the first duplicate or NULL; with USING INDEX, a column that may hold NULLs is still checked for them, row by row, under that lock.",
  instead: "Make the columns NOT NULL safely (see set-not-null), CREATE UNIQUE INDEX CONCURRENTLY in a no-transaction migration, then ALTER TABLE ... ADD CONSTRAINT ... PRIMARY KEY USING INDEX.",
  sizeSensitive: true,
  on: {
    "AlterTableCmd:AT_AddConstraint"(cmd, context) {
      const constraint = nodeAs(cmd.def, "Constraint");
      if (constraint?.contype !== "CONSTR_PRIMARY") return;
      const { table } = context;
      if (!constraint.indexname) {
        context.report({ message: `ADD PRIMARY KEY on ${table.display} builds its index under an ACCESS EXCLUSIVE lock.`, table, at: constraint.location });
        return;
      }
      // USING INDEX makes the index's columns NOT NULL: a column that may hold NULLs is checked row
      // by row under the lock, unless a validated CHECK (column IS NOT NULL) proves it (PostgreSQL 15).
      const index = `${table.schema ?? "public"}.${constraint.indexname}`;
      const nullable = (context.history.indexColumns(index) ?? []).filter((column) => {
        const facts = context.history.column(table.key, column);
        return facts !== undefined && !facts.notNull && !context.history.hasValidatedNotNullCheck(table.key, column);
      });
      if (nullable.length === 0) return;
      const names = nullable.map(quoteIdent).join(", ");
      context.report({
        message: `ADD PRIMARY KEY USING INDEX ${quoteIdent(constraint.indexname)} on ${table.display} makes ${names} NOT NULL: PostgreSQL scans the whole table for NULLs under an ACCESS EXCLUSIVE lock, and fails if a row holds one.`,
        hint: `First add CHECK (${nullable[0]} IS NOT NULL) NOT VALID and VALIDATE it in a later migration (see set-not-null); the primary key then skips the scan.`,
        table,
        at: constraint.location,
      });
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
