import { columnConstraints, nodeAs, quoteIdent } from "../ast";
import { type Rule, alterOfExistingTable } from "./rule";

/** ADD PRIMARY KEY (or ADD COLUMN ... PRIMARY KEY) on an existing table, building its index under the table lock. */
export const addPrimaryKey: Rule = {
  id: "add-primary-key",
  severity: "medium",
  summary: "ADD PRIMARY KEY (or ADD COLUMN ... PRIMARY KEY) on an existing table, instead of USING INDEX.",
  why: "PostgreSQL builds the unique index — and checks the columns for NULLs — while holding an ACCESS EXCLUSIVE lock that blocks reads and writes, and fails on the first duplicate or NULL.",
  instead: "Make the columns NOT NULL safely (see set-not-null), CREATE UNIQUE INDEX CONCURRENTLY in a no-transaction migration, then ALTER TABLE ... ADD CONSTRAINT ... PRIMARY KEY USING INDEX.",
  sizeSensitive: true,
  kinds: ["AlterTableStmt"],
  check(context) {
    const altered = alterOfExistingTable(context);
    if (!altered) return;
    const { table } = altered;
    for (const cmd of altered.commands) {
      const constraint = cmd.subtype === "AT_AddConstraint" ? nodeAs(cmd.def, "Constraint") : undefined;
      if (constraint?.contype === "CONSTR_PRIMARY" && !constraint.indexname) {
        context.report({ message: `ADD PRIMARY KEY on ${table.display} builds its index under an ACCESS EXCLUSIVE lock.`, table, at: constraint.location });
      }
      const column = cmd.subtype === "AT_AddColumn" ? nodeAs(cmd.def, "ColumnDef") : undefined;
      for (const c of column ? columnConstraints(column) : []) {
        if (c.contype !== "CONSTR_PRIMARY") continue;
        context.report({
          message: `ADD COLUMN ${quoteIdent(column?.colname ?? "")} ... PRIMARY KEY on ${table.display} builds a unique index over the whole table under an ACCESS EXCLUSIVE lock.`,
          table,
          at: c.location,
        });
      }
    }
  },
};
