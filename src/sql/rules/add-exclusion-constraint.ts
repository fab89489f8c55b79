import { nodeAs, quoteIdent } from "../ast";
import type { Rule } from "./rule";

/** ADD CONSTRAINT ... EXCLUDE on an existing table: an index build and a check of every row under the table lock. */
export const addExclusionConstraint: Rule = {
  id: "add-exclusion-constraint",
  severity: "medium",
  summary: "ALTER TABLE ... ADD CONSTRAINT ... EXCLUDE on a table that existed before this migration.",
  why: "PostgreSQL builds the constraint's index and checks every existing pair of rows while holding an ACCESS EXCLUSIVE lock that blocks reads and writes, and the migration fails on the first conflict. Unlike UNIQUE, an exclusion constraint cannot be added USING INDEX or NOT VALID.",
  instead: "Add the constraint when the table is created; on a large existing table, build a new table with the constraint and move the rows over in batches, or add it in a maintenance window.",
  sizeSensitive: true,
  on: {
    "AlterTableCmd:AT_AddConstraint"(cmd, context) {
      const constraint = nodeAs(cmd.def, "Constraint");
      if (constraint?.contype !== "CONSTR_EXCLUSION") return;
      const { table } = context;
      context.report({
        message: `ADD ${constraint.conname ? `CONSTRAINT ${quoteIdent(constraint.conname)} ` : ""}EXCLUDE on ${table.display} builds its index and checks every row under an ACCESS EXCLUSIVE lock that blocks reads and writes.`,
        table,
        at: constraint.location,
      });
    },
  },
};
