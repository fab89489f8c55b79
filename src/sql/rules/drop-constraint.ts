import { quoteIdent } from "../ast";
import { type Rule } from "./rule";

/** ALTER TABLE ... DROP CONSTRAINT on an existing table. */
export const dropConstraint: Rule = {
  id: "drop-constraint",
  severity: "low",
  summary: "ALTER TABLE ... DROP CONSTRAINT on an existing table.",
  why: "What the constraint guaranteed (a valid reference, a unique value, a check) is no longer enforced, and dropping a unique or primary key constraint drops its index too.",
  instead: "Make sure nothing relies on the guarantee; to replace a constraint, add the new one (NOT VALID, then VALIDATE) before dropping the old one.",
  on: {
    "AlterTableCmd:AT_DropConstraint"(cmd, context) {
      const { table } = context;
      context.report({ message: `DROP CONSTRAINT ${quoteIdent(cmd.name ?? "")} on ${table.display}: what it guaranteed is no longer enforced.`, table });
    },
  },
};
