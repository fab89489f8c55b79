import type { Node } from "libpg-query";
import { type TableRef, alterTableCommands, nodeAs, optionEnabled, tableOf } from "./ast";

/**
 * Which table lock a statement takes, from PostgreSQL's documentation of explicit locking
 * ("Table-Level Locks") and of each ALTER TABLE form. Used to tell a statement that makes other
 * sessions queue behind it from one that does not.
 */

/** PostgreSQL's table lock modes, weakest first. */
export const LOCK_MODES = [
  "ACCESS SHARE",
  "ROW SHARE",
  "ROW EXCLUSIVE",
  "SHARE UPDATE EXCLUSIVE",
  "SHARE",
  "SHARE ROW EXCLUSIVE",
  "EXCLUSIVE",
  "ACCESS EXCLUSIVE",
] as const;

/** A table lock mode. */
export type LockMode = (typeof LOCK_MODES)[number];

/** The lock a statement takes on a table. */
export interface TableLock {
  /** The strongest mode it takes. */
  mode: LockMode;
  /** The table, when the statement names it (DROP INDEX names the index, not its table). */
  table?: TableRef;
  /** What the lock blocks, for messages: "reads and writes", "writes". */
  blocks: string;
}

/** True when `mode` blocks plain reads or writes (ordinary SELECT, INSERT, UPDATE, DELETE). */
export function blocksTraffic(mode: LockMode): boolean {
  return LOCK_MODES.indexOf(mode) >= LOCK_MODES.indexOf("SHARE");
}

/** What a lock mode blocks, in words. */
export function blockedBy(mode: LockMode): string {
  if (mode === "ACCESS EXCLUSIVE") return "reads and writes";
  if (blocksTraffic(mode)) return "writes";
  return "schema changes";
}

/** The lock `node` takes on an existing table, or undefined when it takes none that matters. */
export function tableLock(node: Node): TableLock | undefined {
  const lock = (mode: LockMode, table?: TableRef): TableLock => ({ mode, table, blocks: blockedBy(mode) });

  const alter = nodeAs(node, "AlterTableStmt");
  if (alter) {
    let strongest: LockMode | undefined;
    for (const cmd of alterTableCommands(alter)) {
      const mode = alterTableLock(cmd.subtype, cmd.def);
      if (!strongest || LOCK_MODES.indexOf(mode) > LOCK_MODES.indexOf(strongest)) strongest = mode;
    }
    return strongest ? lock(strongest, tableOf(alter.relation)) : undefined;
  }
  const rename = nodeAs(node, "RenameStmt");
  if (rename?.relation && rename.renameType !== "OBJECT_INDEX") return lock("ACCESS EXCLUSIVE", tableOf(rename.relation));
  const index = nodeAs(node, "IndexStmt");
  if (index) return index.concurrent ? undefined : lock("SHARE", tableOf(index.relation));
  const drop = nodeAs(node, "DropStmt");
  if (drop) {
    if (drop.removeType === "OBJECT_INDEX") return drop.concurrent ? undefined : lock("ACCESS EXCLUSIVE");
    if (["OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_TRIGGER"].includes(drop.removeType ?? "")) return lock("ACCESS EXCLUSIVE");
    return undefined;
  }
  const truncate = nodeAs(node, "TruncateStmt");
  if (truncate) return lock("ACCESS EXCLUSIVE", tableOf(nodeAs(truncate.relations?.[0], "RangeVar")));
  const reindex = nodeAs(node, "ReindexStmt");
  if (reindex) {
    if (optionEnabled(reindex.params, "concurrently")) return undefined;
    // SHARE on the table, ACCESS EXCLUSIVE on each index it rebuilds; planning any query on the
    // table opens its indexes, so reads wait too (checked on PostgreSQL 15 with pg_locks).
    const onTable = reindex.kind === "REINDEX_OBJECT_TABLE";
    return {
      mode: "SHARE",
      table: onTable ? tableOf(reindex.relation) : undefined,
      blocks: `writes, and reads too: ${onTable ? "its indexes are" : reindex.kind === "REINDEX_OBJECT_INDEX" ? "the index is" : "the indexes it rebuilds are"} held ACCESS EXCLUSIVE, which every query on the table waits for while it is planned`,
    };
  }
  const cluster = nodeAs(node, "ClusterStmt");
  if (cluster) return lock("ACCESS EXCLUSIVE", tableOf(cluster.relation));
  const vacuum = nodeAs(node, "VacuumStmt");
  if (vacuum) {
    const full = optionEnabled(vacuum.options, "full");
    return full ? lock("ACCESS EXCLUSIVE", tableOf(nodeAs(vacuum.rels?.[0], "VacuumRelation")?.relation)) : undefined;
  }
  const explicit = nodeAs(node, "LockStmt");
  if (explicit) return lock(LOCK_MODES[Math.max(0, (explicit.mode ?? 8) - 1)] ?? "ACCESS EXCLUSIVE", tableOf(nodeAs(explicit.relations?.[0], "RangeVar")));
  const refresh = nodeAs(node, "RefreshMatViewStmt");
  if (refresh) return lock(refresh.concurrent ? "EXCLUSIVE" : "ACCESS EXCLUSIVE", tableOf(refresh.relation));
  const trigger = nodeAs(node, "CreateTrigStmt");
  if (trigger) return lock("SHARE ROW EXCLUSIVE", tableOf(trigger.relation));
  const move = nodeAs(node, "AlterObjectSchemaStmt");
  if (move?.relation) return lock("ACCESS EXCLUSIVE", tableOf(move.relation));
  // On the sequence, whatever it changes; nextval() needs ROW EXCLUSIVE on it, so inserts that use
  // the sequence wait until the migration commits (checked on PostgreSQL 15 with pg_locks).
  const sequence = nodeAs(node, "AlterSeqStmt");
  if (sequence) return { mode: "SHARE ROW EXCLUSIVE", table: tableOf(sequence.sequence), blocks: "nextval() on the sequence (the inserts that use it wait)" };
  // ACCESS EXCLUSIVE on every table, index, view and sequence the roles own, all held until commit.
  if (nodeAs(node, "ReassignOwnedStmt")) return { mode: "ACCESS EXCLUSIVE", blocks: "reads and writes of every table, view and sequence it hands over" };
  return undefined;
}

function alterTableLock(subtype: string | undefined, def: Node | undefined): LockMode {
  switch (subtype) {
    case "AT_SetStatistics":
    case "AT_ValidateConstraint":
    case "AT_ClusterOn":
    case "AT_DropCluster":
    case "AT_SetRelOptions":
    case "AT_ResetRelOptions":
    case "AT_AttachPartition":
      return "SHARE UPDATE EXCLUSIVE";
    case "AT_DetachPartition":
      return nodeAs(def, "PartitionCmd")?.concurrent ? "SHARE UPDATE EXCLUSIVE" : "ACCESS EXCLUSIVE";
    case "AT_AddConstraint":
      return nodeAs(def, "Constraint")?.contype === "CONSTR_FOREIGN" ? "SHARE ROW EXCLUSIVE" : "ACCESS EXCLUSIVE";
    case "AT_EnableTrig":
    case "AT_EnableAlwaysTrig":
    case "AT_EnableReplicaTrig":
    case "AT_DisableTrig":
    case "AT_EnableTrigAll":
    case "AT_DisableTrigAll":
    case "AT_EnableTrigUser":
    case "AT_DisableTrigUser":
      return "SHARE ROW EXCLUSIVE";
    default:
      return "ACCESS EXCLUSIVE";
  }
}
