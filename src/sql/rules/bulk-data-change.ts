import type { DeleteStmt, Node, RangeVar, UpdateStmt } from "libpg-query";
import { hasSubquery, nodeAs, rowFilter, strings, tableOf } from "../ast";
import type { Rule, RuleContext } from "./rule";

/**
 * Set-based data changes on an existing table: INSERT ... SELECT, UPDATE ... FROM, DELETE ... USING,
 * UPDATE or DELETE whose WHERE has a subquery, MERGE, COPY FROM.
 */
export const bulkDataChange: Rule = {
  id: "bulk-data-change",
  severity: "high",
  summary: "A bulk data change (INSERT ... SELECT, UPDATE ... FROM, DELETE ... USING, UPDATE or DELETE ... WHERE ... IN (SELECT ...), MERGE, COPY FROM) on an existing table.",
  why: "It changes as many rows as the query finds, inside the migration's transaction: long row locks, WAL and replica lag, and a schema change in the same transaction keeps its lock for the whole copy.",
  instead: "Backfill in batches outside the schema migration (a script or a job), or in its own no-transaction migration once the schema change is deployed.",
  sizeSensitive: true,
  on: {
    InsertStmt(insert, context) {
      if (!readsTables(insert.selectStmt)) return;
      const table = tableOf(insert.relation);
      if (table && !context.isNewTable(table)) {
        context.report({ message: `INSERT INTO ${table.display} ... SELECT copies every row the query returns in one transaction.`, table, at: insert.relation?.location });
      }
    },
    UpdateStmt(update, context) {
      reportJoin(context, bulkSource(update), update.relation, "UPDATE", "rewrites");
    },
    DeleteStmt(del, context) {
      reportJoin(context, bulkSource(del), del.relation, "DELETE FROM", "deletes");
    },
    MergeStmt(merge, context) {
      const table = tableOf(merge.relation);
      if (table && !context.isNewTable(table)) context.report({ message: `MERGE INTO ${table.display} changes every row the source matches in one transaction.`, table, at: merge.relation?.location });
    },
    CopyStmt(copy, context) {
      if (!copy.is_from) return;
      const table = tableOf(copy.relation);
      if (table && !context.isNewTable(table)) context.report({ message: `COPY ${table.display} FROM loads a file of unknown size into an existing table in one transaction.`, table, at: copy.relation?.location });
    },
  },
};

function reportJoin(context: RuleContext, source: ReturnType<typeof bulkSource>, relation: RangeVar | undefined, verbWord: string, what: string): void {
  const table = tableOf(relation);
  if (!source || !table || context.isNewTable(table)) return;
  const verb = `${verbWord} ${table.display}`;
  const message =
    source === "subquery"
      ? `${verb} ... WHERE with a subquery ${what} every row the subquery selects, in one transaction.`
      : `${verb} ... ${source} ${what} every row the join matches, in one transaction.`;
  context.report({ message, table, at: relation?.location });
}

/**
 * What makes an UPDATE or DELETE set-based: a join (`FROM` / `USING`) or a subquery in its WHERE.
 * Undefined for an UPDATE or DELETE without a WHERE that filters (update-without-where and
 * delete-without-where report those). `stmt` is the statement itself, which may be one that
 * another runs (a DELETE in a WITH): the statement written may have another WHERE.
 */
export function bulkSource(stmt: UpdateStmt | DeleteStmt): "FROM" | "USING" | "subquery" | undefined {
  const where = rowFilter(stmt.whereClause);
  if (!where) return undefined;
  const from = "fromClause" in stmt ? stmt.fromClause : undefined;
  const using = "usingClause" in stmt ? stmt.usingClause : undefined;
  const join = (from?.length ?? 0) > 0 ? "FROM" : (using?.length ?? 0) > 0 ? "USING" : undefined;
  // A join whose WHERE pins the target's rows to constants (`WHERE orders.id = 42 AND ...`)
  // changes those rows only: a data change of known rows, not a bulk one.
  if (join) return pinsTargetRows(where, stmt.relation) ? undefined : join;
  return hasSubquery(where) ? "subquery" : undefined;
}

/** True when a SELECT reads from tables (not just VALUES or constants). */
function readsTables(select: Node | undefined): boolean {
  const s = nodeAs(select, "SelectStmt");
  if (!s) return false;
  if ((s.fromClause?.length ?? 0) > 0) return true;
  return readsTables(s.larg ? { SelectStmt: s.larg } : undefined) || readsTables(s.rarg ? { SelectStmt: s.rarg } : undefined);
}

/**
 * True when one of the WHERE's top-level AND terms is `target.column = constant` or
 * `target.column IN (constants)`, the column named with the target table's name or alias.
 */
function pinsTargetRows(where: Node, relation: RangeVar | undefined): boolean {
  const names = new Set([relation?.alias?.aliasname ?? relation?.relname].filter((n) => n !== undefined));
  const bool = nodeAs(where, "BoolExpr");
  const terms = bool?.boolop === "AND_EXPR" ? (bool.args ?? []) : [where];
  const isTargetColumn = (n: Node | undefined) => {
    const fields = strings(nodeAs(n, "ColumnRef")?.fields);
    return fields.length >= 2 && names.has(fields[fields.length - 2]);
  };
  const isConstant = (n: Node | undefined): boolean => nodeAs(n, "A_Const") !== undefined || (nodeAs(n, "TypeCast") !== undefined && isConstant(nodeAs(n, "TypeCast")?.arg));
  return terms.some((term) => {
    const op = nodeAs(term, "A_Expr");
    if (!op) return false;
    if (op.kind === "AEXPR_OP" && strings(op.name).join(".") === "=") {
      return (isTargetColumn(op.lexpr) && isConstant(op.rexpr)) || (isTargetColumn(op.rexpr) && isConstant(op.lexpr));
    }
    if (op.kind === "AEXPR_IN" && strings(op.name).join(".") === "=") {
      const list = nodeAs(op.rexpr, "List")?.items ?? [];
      return isTargetColumn(op.lexpr) && list.length > 0 && list.every(isConstant);
    }
    return false;
  });
}
