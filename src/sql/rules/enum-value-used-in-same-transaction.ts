import type { Node } from "libpg-query";
import { type ColumnType, type TableRef, columnTypeOf, nodeAs, tableOf, tableOfNames, walk } from "../ast";
import type { Rule, RuleContext } from "./rule";

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
      if (!type || context.isNewType(type)) return;
      for (const later of context.following) {
        const ends = nodeAs(later.node, "TransactionStmt")?.kind;
        if (ends === "TRANS_STMT_COMMIT" || ends === "TRANS_STMT_ROLLBACK") return;
        let at: number | undefined;
        const notTheType = constantsOfOtherTypes(later.node, type, context);
        walk(later.node, (kind, inner) => {
          if (at !== undefined || kind !== "A_Const" || notTheType.has(inner)) return;
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

/** Whether `t` is the enum type `type` (or an array of it). */
function isType(t: ColumnType, type: TableRef): boolean {
  return t.name === type.name && (t.schema ?? "public") === (type.schema ?? "public");
}

/**
 * The string constants of `node` that are known to be of another type than the enum, so that
 * the same text is no use of the new value: a constant cast to another type (`'shipped'::text`),
 * or written to a column whose type the history knows is another (an INSERT's VALUES, an UPDATE's
 * SET). Any other constant with the value's text may be the enum's, and counts as a use.
 */
function constantsOfOtherTypes(node: Node, type: TableRef, context: RuleContext): Set<unknown> {
  const other = new Set<unknown>();
  const constantOf = (value: Node | undefined) => nodeAs(value, "A_Const");
  walk(node, (kind, inner) => {
    if (kind === "TypeCast") {
      const target = columnTypeOf(inner.typeName as Parameters<typeof columnTypeOf>[0]);
      const constant = constantOf(inner.arg as Node | undefined);
      if (constant && target && !isType(target, type)) other.add(constant);
    }
  });
  const columnIsOther = (table: TableRef | undefined, column: string | undefined) => {
    if (!table || !column) return false;
    const known = context.history.column(table.key, column)?.type;
    return known !== undefined && !isType(known, type);
  };
  const insert = nodeAs(node, "InsertStmt");
  if (insert) {
    const table = tableOf(insert.relation);
    const columns = (insert.cols ?? []).map((c) => nodeAs(c, "ResTarget")?.name);
    for (const row of nodeAs(insert.selectStmt, "SelectStmt")?.valuesLists ?? []) {
      (nodeAs(row, "List")?.items ?? []).forEach((item, i) => {
        const constant = constantOf(item);
        if (constant && columnIsOther(table, columns[i])) other.add(constant);
      });
    }
  }
  const update = nodeAs(node, "UpdateStmt");
  if (update) {
    const table = tableOf(update.relation);
    for (const target of update.targetList ?? []) {
      const set = nodeAs(target, "ResTarget");
      const constant = constantOf(set?.val);
      if (constant && columnIsOther(table, set?.name)) other.add(constant);
    }
  }
  return other;
}

