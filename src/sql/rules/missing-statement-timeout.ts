import { type TableRef, nodeAs, tableOf } from "../ast";
import { blocksTraffic, tableLock } from "../locks";
import type { Rule, RuleContext } from "./rule";

/**
 * A statement that can hold a blocking lock on an existing table (or row locks on many of its
 * rows) for as long as it runs, while no statement_timeout is in force. dbpipe's runner sets
 * `statement_timeout` for every migration from the stack's `dbpipe:statementTimeout` (none in dev,
 * 30min in test and prod), so this fires on a tier that sets none, or when the migration itself
 * sets it to 0. Squawk and strong_migrations check the same.
 */
export const missingStatementTimeout: Rule = {
  id: "missing-statement-timeout",
  severity: "low",
  summary: "A statement that locks an existing table for as long as it runs, with no statement_timeout in force.",
  why: "A lock_timeout bounds the wait for a lock, not how long it is held: a rewrite, a scan or a bulk UPDATE of a table larger than expected keeps the table blocked until it finishes, and nothing stops it. A statement_timeout turns a runaway migration into a failed, rolled-back one.",
  instead: "Set the stack's dbpipe:statementTimeout (test and prod set 30min), or SET statement_timeout = '15min' at the top of the migration.",
  oncePerMigration: true,
  on: {
    ...Object.fromEntries(
      (["AlterTableStmt", "RenameStmt", "IndexStmt", "DropStmt", "TruncateStmt", "ReindexStmt", "ClusterStmt", "VacuumStmt", "LockStmt", "RefreshMatViewStmt", "CreateTrigStmt", "AlterObjectSchemaStmt"] as const).map((kind) => [kind, checkLock]),
    ),
    UpdateStmt: (stmt, context) => checkRows("UPDATE", tableOf(stmt.relation), context),
    DeleteStmt: (stmt, context) => checkRows("DELETE", tableOf(stmt.relation), context),
  },
};

function checkLock(_node: unknown, context: RuleContext): void {
  if (context.statementTimeoutMs > 0) return;
  const node = context.statement.node;
  const lock = tableLock(node);
  if (!lock || !blocksTraffic(lock.mode)) return;
  // A DROP is quick whatever the table's size; what matters is what a lock waits for, missing-lock-timeout's concern.
  if (nodeAs(node, "DropStmt") || nodeAs(node, "TruncateStmt")) return;
  if (lock.table && context.isNewTable(lock.table)) return;
  const on = lock.table ? ` on ${lock.table.display}` : "";
  context.report({
    message: `This statement holds ${lock.mode === "ACCESS EXCLUSIVE" || lock.mode === "EXCLUSIVE" ? "an" : "a"} ${lock.mode} lock${on} (blocking ${lock.blocks}) for as long as it runs, with no statement_timeout: on a table larger than expected nothing stops it.`,
    table: lock.table,
  });
}

function checkRows(verb: string, table: TableRef | undefined, context: RuleContext): void {
  if (context.statementTimeoutMs > 0 || !table || context.isNewTable(table)) return;
  context.report({
    message: `This ${verb} on ${table.display} holds its row locks, and the migration's transaction, for as long as it runs, with no statement_timeout: on a table larger than expected nothing stops it.`,
    table,
  });
}
