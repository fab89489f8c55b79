import { columnConstraints, nodeAs, quoteIdent } from "../ast";
import { type Rule, alterOfExistingTable } from "./rule";

/** ADD UNIQUE (or ADD COLUMN ... UNIQUE) on an existing table, building its index under the table lock. */
export const addUniqueConstraint: Rule = {
  id: "add-unique-constraint",
  severity: "medium",
  summary: "ADD CONSTRAINT ... UNIQUE (or ADD COLUMN ... UNIQUE) on an existing table, instead of USING INDEX.",
  why: "PostgreSQL builds the unique index while holding an ACCESS EXCLUSIVE lock that blocks reads and writes for the whole build, and the migration fails on the first duplicate.",
  instead: "CREATE UNIQUE INDEX CONCURRENTLY in a no-transaction migration, then ALTER TABLE ... ADD CONSTRAINT ... UNIQUE USING INDEX (instant).",
  sizeSensitive: true,
  kinds: ["AlterTableStmt"],
  check(context) {
    const altered = alterOfExistingTable(context);
    if (!altered) return;
    const { table } = altered;
    for (const cmd of altered.commands) {
      const constraint = cmd.subtype === "AT_AddConstraint" ? nodeAs(cmd.def, "Constraint") : undefined;
      if (constraint?.contype === "CONSTR_UNIQUE" && !constraint.indexname) {
        context.report({
          message: `ADD ${constraint.conname ? `CONSTRAINT ${quoteIdent(constraint.conname)} ` : ""}UNIQUE on ${table.display} builds its index under an ACCESS EXCLUSIVE lock.`,
          table,
          at: constraint.location,
        });
      }
      const column = cmd.subtype === "AT_AddColumn" ? nodeAs(cmd.def, "ColumnDef") : undefined;
      for (const c of column ? columnConstraints(column) : []) {
        if (c.contype !== "CONSTR_UNIQUE") continue;
        context.report({
          message: `ADD COLUMN ${quoteIdent(column?.colname ?? "")} ... UNIQUE on ${table.display} builds a unique index over the whole table under an ACCESS EXCLUSIVE lock.`,
          hint: "Add the column without UNIQUE, CREATE UNIQUE INDEX CONCURRENTLY in a no-transaction migration, then ADD CONSTRAINT ... UNIQUE USING INDEX.",
          table,
          at: c.location,
        });
      }
    }
  },
};
