import { formatDuration } from "../../text/duration";
import type { Node } from "libpg-query";
import { type TableRef, alterTableCommands, nodeAs, tableOf, tableOfNames } from "../ast";
import { existingDefaultPartition } from "./attach-partition";
import { LOCKING_STATEMENTS, type LockMode, type TableLock, blockedBy, blocksTraffic, tableLocks } from "../locks";
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
  why: "A lock request waits behind every running query that holds a conflicting lock on the table, and every new query it conflicts with queues behind the waiting request: one slow report plus one ALTER TABLE is a site-wide outage. A lock_timeout turns that into a failed, retryable migration.",
  instead: "Keep the stack's dbpipe:lockTimeout (the runner sets it per tier), or SET lock_timeout = '5s' at the top of the migration; retry on timeout instead of waiting.",
  oncePerMigration: true,
  on: Object.fromEntries(LOCKING_STATEMENTS.map((kind) => [kind, check])),
};

function check(_node: unknown, context: RuleContext): void {
  const timeout = context.lockTimeoutMs;
  if (timeout > 0 && timeout <= LONGEST_SENSIBLE_LOCK_TIMEOUT_MS) return;
  const node = context.statement.node;
  const drop = nodeAs(node, "DropStmt");
  // DROP INDEX names the index, not the table it locks: indexes created on a new table lock nothing anyone waits on.
  if (drop?.removeType === "OBJECT_INDEX") {
    const indexes = (drop.objects ?? []).map((o) => tableOfNames(nodeAs(o, "List")?.items));
    if (indexes.length > 0 && indexes.every((i) => i !== undefined && context.isNewIndex(i.key))) return;
  }
  // The tables with a column of a domain created in this migration are new, or already locked by the ALTER TABLE that added the column.
  const domain = tableOfNames(nodeAs(node, "AlterDomainStmt")?.typeName);
  if (domain && context.isNewType(domain)) return;
  // The first lock that blocks traffic on a table other sessions use: a foreign key from a new table still locks the table it references.
  const lock = [...tableLocks(node), ...defaultPartitionLocks(node, context)].find((l) => blocksTraffic(l.mode) && !(l.table && context.isNewTable(l.table)));
  if (!lock) return;
  const on = lock.table ? ` on ${lock.table.display}` : "";
  const setting = timeout === 0 ? "no lock_timeout" : `lock_timeout ${formatDuration(timeout)}`;
  context.report({
    message: `This statement takes ${lock.mode === "ACCESS EXCLUSIVE" || lock.mode === "EXCLUSIVE" ? "an" : "a"} ${lock.mode} lock${on} (blocking ${lock.blocks}) with ${setting}: ${queueing(lock.mode)}.`,
    table: lock.table,
  });
}

/**
 * Who queues while a lock of `mode` waits: every query, for ACCESS EXCLUSIVE; for a weaker lock only
 * what it conflicts with (a SHARE lock waiting for a running UPDATE lets new SELECTs through and
 * queues new writes: checked on PostgreSQL 15).
 */
function queueing(mode: LockMode): string {
  return mode === "ACCESS EXCLUSIVE"
    ? "while it waits for the queries running on the table, every new query on the table queues behind it"
    : "while it waits for the transactions that hold a conflicting lock, every new query it blocks queues behind it";
}

/**
 * The lock a new partition or a detach takes on the parent's DEFAULT partition, as the history
 * knows it (the statement does not name it; one made in this migration is empty, and nobody waits
 * on it): ATTACH PARTITION, CREATE TABLE ... PARTITION OF and
 * DETACH PARTITION lock it ACCESS EXCLUSIVE, the first two while they scan it for rows that belong
 * in the new partition (checked on PostgreSQL 15 with pg_locks).
 */
function defaultPartitionLocks(node: Node, context: RuleContext): TableLock[] {
  const parents: (TableRef | undefined)[] = [];
  const alter = nodeAs(node, "AlterTableStmt");
  if (alter?.objtype === "OBJECT_TABLE") {
    for (const cmd of alterTableCommands(alter)) {
      const detach = cmd.subtype === "AT_DetachPartition" && !nodeAs(cmd.def, "PartitionCmd")?.concurrent;
      if (cmd.subtype === "AT_AttachPartition" || detach) parents.push(tableOf(alter.relation));
    }
  }
  const create = nodeAs(node, "CreateStmt");
  if (create?.partbound && !create.partbound.is_default) parents.push(tableOf(nodeAs(create.inhRelations?.[0], "RangeVar")));
  return parents.flatMap((parent) => {
    const table = parent && existingDefaultPartition(parent, context);
    return table ? [{ mode: "ACCESS EXCLUSIVE" as const, table, blocks: blockedBy("ACCESS EXCLUSIVE") }] : [];
  });
}
