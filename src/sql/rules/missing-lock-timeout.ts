import { formatDuration } from "../../text/duration";
import { nodeAs, tableOfNames } from "../ast";
import { blocksTraffic, tableLock } from "../locks";
import type { Rule, RuleContext } from "./rule";

/** Longest lock_timeout that still counts as set: beyond it, a queue behind a waiting lock is an outage anyway. */
export const LONGEST_SENSIBLE_LOCK_TIMEOUT_MS = 60_000;

/**
 * A statement that takes a lock blocking reads or writes on an existing table while no sensible
 * lock_timeout is in force. dbpipe's runner sets `lock_timeout` for every migration from the
 * stack's `dbpipe:lockTimeout` (30s / 10s / 5s by tier), so this fires only when that is turned
 * off (0) or set very long, or when the migration itself sets it to 0 or over a minute.
 */
export const missingLockTimeout: Rule = {
  id: "missing-lock-timeout",
  severity: "medium",
  summary: "A statement that takes a blocking lock on an existing table with no lock_timeout (or one over a minute) in force.",
  why: "A lock request waits behind every running query on the table, and every new query queues behind the waiting request: one slow report plus one ALTER TABLE is a site-wide outage. A lock_timeout turns that into a failed, retryable migration.",
  instead: "Keep the stack's dbpipe:lockTimeout (the runner sets it per tier), or SET lock_timeout = '5s' at the top of the migration; retry on timeout instead of waiting.",
  oncePerMigration: true,
  on: Object.fromEntries(
    (["AlterTableStmt", "RenameStmt", "IndexStmt", "DropStmt", "TruncateStmt", "ReindexStmt", "ClusterStmt", "VacuumStmt", "LockStmt", "RefreshMatViewStmt", "CreateTrigStmt", "AlterObjectSchemaStmt"] as const).map((kind) => [kind, check]),
  ),
};

function check(_node: unknown, context: RuleContext): void {
  const timeout = context.lockTimeoutMs;
  if (timeout > 0 && timeout <= LONGEST_SENSIBLE_LOCK_TIMEOUT_MS) return;
  const node = context.statement.node;
  const lock = tableLock(node);
  if (!lock || !blocksTraffic(lock.mode)) return;
  if (lock.table && context.isNewTable(lock.table)) return;
  const drop = nodeAs(node, "DropStmt");
  if (drop) {
    const names = (drop.objects ?? []).map((o) => tableOfNames(nodeAs(o, "List")?.items));
    const isNew = (n: (typeof names)[number]) => n !== undefined && (drop.removeType === "OBJECT_INDEX" ? context.isNewIndex(n.key) : context.isNewTable(n));
    if (names.length > 0 && names.every(isNew)) return;
  }
  const on = lock.table ? ` on ${lock.table.display}` : "";
  const setting = timeout === 0 ? "no lock_timeout" : `lock_timeout ${formatDuration(timeout)}`;
  context.report({
    message: `This statement takes ${lock.mode === "ACCESS EXCLUSIVE" || lock.mode === "EXCLUSIVE" ? "an" : "a"} ${lock.mode} lock${on} (blocking ${lock.blocks}) with ${setting}: while it waits for running queries, every new query on the table queues behind it.`,
    table: lock.table,
  });
}
