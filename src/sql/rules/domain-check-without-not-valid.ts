import { nodeAs, quoteIdent, tableOfNames } from "../ast";
import type { Rule } from "./rule";

/** ALTER DOMAIN ... ADD CONSTRAINT ... CHECK without NOT VALID, on a domain that existed before this migration. */
export const domainCheckWithoutNotValid: Rule = {
  id: "domain-check-without-not-valid",
  severity: "medium",
  summary: "ALTER DOMAIN ... ADD CONSTRAINT ... CHECK on an existing domain without NOT VALID.",
  why: "PostgreSQL checks every stored value of the domain, in every table column that uses it, holding a SHARE lock on each of those tables that blocks their writes for the whole scan; the migration fails on the first value that violates the check.",
  instead: "ADD CONSTRAINT ... CHECK (...) NOT VALID (instant; new values are checked), then VALIDATE CONSTRAINT in a later migration at a quiet time. Unlike a table's VALIDATE, a domain's still blocks writes to the tables while it scans: for large tables, add the CHECK to each table column instead (NOT VALID, then VALIDATE).",
  sizeSensitive: true,
  on: {
    AlterDomainStmt(stmt, context) {
      // Subtype C: ADD CONSTRAINT.
      if (stmt.subtype !== "C") return;
      const constraint = nodeAs(stmt.def, "Constraint");
      if (constraint?.contype !== "CONSTR_CHECK" || constraint.skip_validation) return;
      const domain = tableOfNames(stmt.typeName);
      if (!domain || context.isNewType(domain)) return;
      context.report({
        message: `ALTER DOMAIN ${domain.display} ADD ${constraint.conname ? `CONSTRAINT ${quoteIdent(constraint.conname)} ` : ""}CHECK checks every value of the domain in every table that uses it, blocking writes to those tables while it scans.`,
        at: constraint.location,
      });
    },
  },
};
