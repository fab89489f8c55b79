import { columnConstraints, nodeAs, quoteIdent, tableOf } from "../ast";
import { type Rule, alterOfExistingTable } from "./rule";

/** A foreign key added to an existing table without NOT VALID. */
export const foreignKeyWithoutNotValid: Rule = {
  id: "foreign-key-without-not-valid",
  severity: "medium",
  summary: "ADD FOREIGN KEY (or ADD COLUMN ... REFERENCES) on an existing table without NOT VALID.",
  why: "PostgreSQL checks every existing row against the referenced table while holding locks that block writes on both tables, for as long as the scan takes.",
  instead: "ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID (instant; new rows are checked), then ALTER TABLE ... VALIDATE CONSTRAINT in a later migration (it scans without blocking writes).",
  sizeSensitive: true,
  kinds: ["AlterTableStmt"],
  check(context) {
    const altered = alterOfExistingTable(context);
    if (!altered) return;
    const { table } = altered;
    for (const cmd of altered.commands) {
      const constraint = cmd.subtype === "AT_AddConstraint" ? nodeAs(cmd.def, "Constraint") : undefined;
      if (constraint?.contype === "CONSTR_FOREIGN" && !constraint.skip_validation) {
        const referenced = tableOf(constraint.pktable);
        context.report({
          message: `ADD ${constraint.conname ? `CONSTRAINT ${quoteIdent(constraint.conname)} ` : ""}FOREIGN KEY on ${table.display}${referenced ? ` referencing ${referenced.display}` : ""} checks every existing row while blocking writes to both tables.`,
          table,
          at: constraint.location,
        });
      }
      const column = cmd.subtype === "AT_AddColumn" ? nodeAs(cmd.def, "ColumnDef") : undefined;
      for (const c of column ? columnConstraints(column) : []) {
        if (c.contype !== "CONSTR_FOREIGN") continue;
        const referenced = tableOf(c.pktable);
        context.report({
          message: `ADD COLUMN ${quoteIdent(column?.colname ?? "")} ... REFERENCES ${referenced?.display ?? ""} on ${table.display} validates the new foreign key by scanning the table while blocking writes to both tables.`,
          hint: "Add the column without REFERENCES, then ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then VALIDATE CONSTRAINT in a later migration.",
          table,
          at: c.location,
        });
      }
    }
  },
};
