import { columnConstraints, nodeAs, quoteIdent } from "../ast";
import { uniqueOnPartitionsSteps } from "./rejected-by-postgres";
import { type Rule } from "./rule";

/** ADD UNIQUE (or ADD COLUMN ... UNIQUE) on an existing table, building its index under the table lock. */
export const addUniqueConstraint: Rule = {
  id: "add-unique-constraint",
  severity: "medium",
  summary: "ADD CONSTRAINT ... UNIQUE (or ADD COLUMN ... UNIQUE) on an existing table, instead of USING INDEX.",
  why: "PostgreSQL builds the unique index while holding an ACCESS EXCLUSIVE lock that blocks reads and writes for the whole build, and the migration fails on the first duplicate.",
  instead:
    "CREATE UNIQUE INDEX CONCURRENTLY in a no-transaction migration, then ALTER TABLE ... ADD CONSTRAINT ... UNIQUE USING INDEX (instant). A partitioned table refuses both: do that on each partition, then ADD CONSTRAINT ... UNIQUE on the partitioned table, which attaches the partitions' constraints instead of building indexes.",
  sizeSensitive: true,
  on: {
    "AlterTableCmd:AT_AddConstraint"(cmd, context) {
      const constraint = nodeAs(cmd.def, "Constraint");
      if (constraint?.contype !== "CONSTR_UNIQUE" || constraint.indexname) return;
      const { table } = context;
      const partitioned = context.history.isPartitioned(table.key);
      context.report({
        message: `ADD ${constraint.conname ? `CONSTRAINT ${quoteIdent(constraint.conname)} ` : ""}UNIQUE on ${table.display} builds its index under an ACCESS EXCLUSIVE lock${partitioned ? ` on ${table.display} (and a SHARE lock on every partition, blocking writes)` : ""}.`,
        ...(partitioned ? { hint: uniqueOnPartitionsSteps(table.display, "UNIQUE") } : {}),
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
          hint: context.history.isPartitioned(table.key)
            ? `Add the column without UNIQUE, then the constraint partition by partition. ${uniqueOnPartitionsSteps(table.display, "UNIQUE")}`
            : "Add the column without UNIQUE, CREATE UNIQUE INDEX CONCURRENTLY in a no-transaction migration, then ADD CONSTRAINT ... UNIQUE USING INDEX.",
          table,
          at: c.location,
        });
      }
    },
  },
};
