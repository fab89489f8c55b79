import { columnConstraints, nodeAs, quoteIdent, tableOf } from "../ast";
import { foreignKeyOnPartitionsSteps } from "./rejected-by-postgres";
import { type Rule } from "./rule";

/** A foreign key added to an existing table without NOT VALID. */
export const foreignKeyWithoutNotValid: Rule = {
  id: "foreign-key-without-not-valid",
  severity: "medium",
  summary: "ADD FOREIGN KEY (or ADD COLUMN ... REFERENCES) on an existing table without NOT VALID.",
  why: "PostgreSQL checks every existing row against the referenced table while holding locks that block writes on both tables, for as long as the scan takes.",
  instead:
    "ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID (instant; new rows are checked), then ALTER TABLE ... VALIDATE CONSTRAINT in a later migration (it scans without blocking writes). A partitioned table refuses NOT VALID: add the key NOT VALID to each partition and validate it there, then add it to the partitioned table, which attaches the partitions' constraints without a scan.",
  sizeSensitive: true,
  on: {
    "AlterTableCmd:AT_AddConstraint"(cmd, context) {
      const constraint = nodeAs(cmd.def, "Constraint");
      if (constraint?.contype !== "CONSTR_FOREIGN" || constraint.skip_validation) return;
      const { table } = context;
      const referenced = tableOf(constraint.pktable);
      const partitioned = context.history.isPartitioned(table.key);
      context.report({
        message: `ADD ${constraint.conname ? `CONSTRAINT ${quoteIdent(constraint.conname)} ` : ""}FOREIGN KEY on ${table.display}${referenced ? ` referencing ${referenced.display}` : ""} checks every existing row${partitioned ? " of every partition" : ""} while blocking writes to both tables.`,
        ...(partitioned ? { hint: foreignKeyOnPartitionsSteps(table.display) } : {}),
        table,
        at: constraint.location,
      });
    },
    "AlterTableCmd:AT_AddColumn"(cmd, context) {
      const column = nodeAs(cmd.def, "ColumnDef");
      if (!column) return;
      const { table } = context;
      for (const c of columnConstraints(column)) {
        if (c.contype !== "CONSTR_FOREIGN") continue;
        const referenced = tableOf(c.pktable);
        context.report({
          message: `ADD COLUMN ${quoteIdent(column.colname ?? "")} ... REFERENCES ${referenced?.display ?? ""} on ${table.display} validates the new foreign key by scanning the table while blocking writes to both tables.`,
          hint: context.history.isPartitioned(table.key)
            ? `Add the column without REFERENCES, then the foreign key partition by partition. ${foreignKeyOnPartitionsSteps(table.display)}`
            : "Add the column without REFERENCES, then ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then VALIDATE CONSTRAINT in a later migration.",
          table,
          at: c.location,
        });
      }
    },
  },
};
