import { nodeAs, tableOfNames, walk } from "../ast";
import type { Rule } from "./rule";

/** ALTER TYPE ... ADD VALUE, then a use of the new value in the same transaction. */
export const enumValueUsedInSameTransaction: Rule = {
  id: "enum-value-used-in-same-transaction",
  severity: "high",
  summary: "ALTER TYPE ... ADD VALUE followed by a statement that uses the new value, in the same transaction.",
  why: "PostgreSQL lets ALTER TYPE ... ADD VALUE run in a transaction, but refuses to use the new value until that transaction commits (\"unsafe use of new value\"): the migration fails when it runs.",
  instead: "Add the value in its own migration and use it in a later one (each migration commits on its own), or put the ADD VALUE in a `-- dbpipe:no-transaction` migration before the statements that use it.",
  on: {
    AlterEnumStmt(stmt, context) {
      const value = stmt.newVal;
      if (!value || stmt.oldVal || !context.inTransaction) return;
      const type = tableOfNames(stmt.typeName);
      // Values of a type created in the same transaction can be used at once.
      if (!type || context.isNewType(type.key)) return;
      for (const later of context.following) {
        const ends = nodeAs(later.node, "TransactionStmt")?.kind;
        if (ends === "TRANS_STMT_COMMIT" || ends === "TRANS_STMT_ROLLBACK") return;
        let at: number | undefined;
        walk(later.node, (kind, inner) => {
          if (at !== undefined || kind !== "A_Const") return;
          const text = (inner.sval as { sval?: string } | undefined)?.sval;
          if (text === value) at = (inner.location as number | undefined) ?? -1;
        });
        if (at === undefined) continue;
        context.report({
          message: `'${value}' is added to ${type.display} and used on line ${later.line} in the same transaction: PostgreSQL refuses a new enum value until the transaction that added it commits, so the migration fails.`,
          at,
        });
        return;
      }
    },
  },
};
