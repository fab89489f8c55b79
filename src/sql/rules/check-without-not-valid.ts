import { columnConstraints, nodeAs, quoteIdent } from "../ast";
import { type Rule } from "./rule";

/** A CHECK constraint added to an existing table without NOT VALID. */
export const checkWithoutNotValid: Rule = {
  id: "check-without-not-valid",
  severity: "medium",
  summary: "ADD CHECK (or ADD COLUMN ... CHECK) on an existing table without NOT VALID.",
  why: "PostgreSQL scans every existing row to check the constraint while holding an ACCESS EXCLUSIVE lock that blocks reads and writes, and the migration fails if one row violates it.",
  instead: "ADD CONSTRAINT ... CHECK (...) NOT VALID (instant; new rows are checked), then ALTER TABLE ... VALIDATE CONSTRAINT in a later migration (it scans without blocking reads or writes).",
  sizeSensitive: true,
  on: {
    "AlterTableCmd:AT_AddConstraint"(cmd, context) {
      const constraint = nodeAs(cmd.def, "Constraint");
      if (constraint?.contype !== "CONSTR_CHECK" || constraint.skip_validation) return;
      const { table } = context;
      context.report({
        message: `ADD ${constraint.conname ? `CONSTRAINT ${quoteIdent(constraint.conname)} ` : ""}CHECK on ${table.display} scans every row under an ACCESS EXCLUSIVE lock.`,
        table,
        at: constraint.location,
      });
    },
    "AlterTableCmd:AT_AddColumn"(cmd, context) {
      const column = nodeAs(cmd.def, "ColumnDef");
      if (!column) return;
      const { table } = context;
      for (const c of columnConstraints(column)) {
        if (c.contype !== "CONSTR_CHECK") continue;
        context.report({
          message: `ADD COLUMN ${quoteIdent(column.colname ?? "")} ... CHECK on ${table.display} scans every row to validate the check, under an ACCESS EXCLUSIVE lock.`,
          hint: "Add the column without the CHECK, then ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT in a later migration.",
          table,
          at: c.location,
        });
      }
    },
  },
};
