import type { AlterTableCmd, Constraint, CreateStmt, DropStmt, Node } from "libpg-query";
import { type StatementKind, type TableRef, alterTableCommands, columnConstraints, nodeAs, optionEnabled, tableOf, tableOfNames } from "./ast";

/**
 * Which table locks a statement takes, from PostgreSQL's documentation of explicit locking
 * ("Table-Level Locks") and of each ALTER TABLE form, checked on PostgreSQL 15 with pg_locks
 * (test/sql/locks.test.ts measures them again). Used to tell a statement that makes other
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

/**
 * The statement kinds that take a table lock {@link tableLocks} knows: what a rule about waiting for
 * locks listens to. Other statements (GRANT, CREATE FUNCTION, ALTER STATISTICS, ...) take none on a
 * table, or only the ACCESS SHARE lock of a read.
 */
export const LOCKING_STATEMENTS = [
  "AlterTableStmt",
  "RenameStmt",
  "IndexStmt",
  "DropStmt",
  "TruncateStmt",
  "ReindexStmt",
  "ClusterStmt",
  "VacuumStmt",
  "LockStmt",
  "RefreshMatViewStmt",
  "CreateTrigStmt",
  "AlterObjectSchemaStmt",
  "AlterSeqStmt",
  "ReassignOwnedStmt",
  "DropOwnedStmt",
  "CreatePolicyStmt",
  "AlterPolicyStmt",
  "RuleStmt",
  "CreateStmt",
  "ViewStmt",
  "AlterDomainStmt",
  "CommentStmt",
  "SecLabelStmt",
  "CreateStatsStmt",
] as const satisfies readonly StatementKind[];

/**
 * Every table lock `node` takes, strongest first (in the order the statement names the tables
 * when modes tie): one per table it names, and one without a table for the locks it takes on
 * tables it does not name (DROP INDEX locks the index's table). Empty when it takes none beyond
 * the ACCESS SHARE lock of a read.
 */
export function tableLocks(node: Node): TableLock[] {
  const locks: TableLock[] = [];
  const add = (mode: LockMode, table?: TableRef, blocks = blockedBy(mode)) => {
    const same = locks.findIndex((l) => l.table?.key === table?.key && (table !== undefined || l.blocks === blocks));
    if (same < 0) locks.push({ mode, table, blocks });
    else if (rank(mode) > rank(locks[same].mode)) locks[same] = { mode, table: locks[same].table, blocks };
  };
  collectLocks(node, add);
  // Array.prototype.sort is stable: ties keep the statement's order, its own table first.
  return locks.sort((a, b) => rank(b.mode) - rank(a.mode));
}

/** The strongest lock `node` takes on a table (see {@link tableLocks}), or undefined when it takes none beyond a read's. */
export function tableLock(node: Node): TableLock | undefined {
  return tableLocks(node)[0];
}

type AddLock = (mode: LockMode, table?: TableRef, blocks?: string) => void;

function rank(mode: LockMode): number {
  return LOCK_MODES.indexOf(mode);
}

/**
 * COMMENT ON these takes SHARE UPDATE EXCLUSIVE on the relation; on the parts of a table below,
 * ACCESS SHARE on the table. SECURITY LABEL looks its object up the same way (seclabel.c; a server
 * without a label provider refuses it before any lock).
 */
const RELATION_OBJECTS = new Set(["OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_INDEX", "OBJECT_SEQUENCE", "OBJECT_FOREIGN_TABLE"]);
const TABLE_PARTS = new Set(["OBJECT_POLICY", "OBJECT_TRIGGER", "OBJECT_RULE", "OBJECT_TABCONSTRAINT"]);
/** DROP of these locks the relation it drops ACCESS EXCLUSIVE; of the parts, the table they are on. */
const DROPPED_RELATIONS = new Set(["OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_SEQUENCE", "OBJECT_FOREIGN_TABLE"]);
const DROPPED_PARTS = new Set(["OBJECT_TRIGGER", "OBJECT_POLICY", "OBJECT_RULE"]);

function collectLocks(node: Node, add: AddLock): void {
  const alter = nodeAs(node, "AlterTableStmt");
  if (alter) {
    const table = tableOf(alter.relation);
    for (const cmd of alterTableCommands(alter)) alterTableLocks(cmd, table, alter.objtype === "OBJECT_INDEX", add);
    return;
  }
  const rename = nodeAs(node, "RenameStmt");
  if (rename?.relation) {
    // ALTER INDEX ... RENAME: SHARE UPDATE EXCLUSIVE on the index; any other (a column, a constraint, a trigger, a policy, a rule, the relation): ACCESS EXCLUSIVE on the relation.
    add(rename.renameType === "OBJECT_INDEX" ? "SHARE UPDATE EXCLUSIVE" : "ACCESS EXCLUSIVE", tableOf(rename.relation));
    return;
  }
  const index = nodeAs(node, "IndexStmt");
  if (index) return add(index.concurrent ? "SHARE UPDATE EXCLUSIVE" : "SHARE", tableOf(index.relation));
  const drop = nodeAs(node, "DropStmt");
  if (drop) return dropLocks(drop, add);
  const truncate = nodeAs(node, "TruncateStmt");
  if (truncate) {
    for (const r of truncate.relations ?? []) add("ACCESS EXCLUSIVE", tableOf(nodeAs(r, "RangeVar")));
    return;
  }
  const reindex = nodeAs(node, "ReindexStmt");
  if (reindex) {
    const onTable = reindex.kind === "REINDEX_OBJECT_TABLE";
    if (optionEnabled(reindex.params, "concurrently")) return add("SHARE UPDATE EXCLUSIVE", onTable ? tableOf(reindex.relation) : undefined);
    // SHARE on the table, ACCESS EXCLUSIVE on each index it rebuilds; planning any query on the
    // table opens its indexes, so reads wait too (checked on PostgreSQL 15 with pg_locks).
    add(
      "SHARE",
      onTable ? tableOf(reindex.relation) : undefined,
      `writes, and reads too: ${onTable ? "its indexes are" : reindex.kind === "REINDEX_OBJECT_INDEX" ? "the index is" : "the indexes it rebuilds are"} held ACCESS EXCLUSIVE, which every query on the table waits for while it is planned`,
    );
    return;
  }
  const cluster = nodeAs(node, "ClusterStmt");
  if (cluster) return add("ACCESS EXCLUSIVE", tableOf(cluster.relation));
  const vacuum = nodeAs(node, "VacuumStmt");
  if (vacuum) {
    // VACUUM FULL rewrites the table; plain VACUUM and ANALYZE take SHARE UPDATE EXCLUSIVE.
    const mode = optionEnabled(vacuum.options, "full") ? "ACCESS EXCLUSIVE" : "SHARE UPDATE EXCLUSIVE";
    const relations = (vacuum.rels ?? []).map((r) => tableOf(nodeAs(r, "VacuumRelation")?.relation));
    if (relations.length === 0) return add(mode);
    for (const table of relations) add(mode, table);
    return;
  }
  const explicit = nodeAs(node, "LockStmt");
  if (explicit) {
    const mode = LOCK_MODES[Math.max(0, (explicit.mode ?? 8) - 1)] ?? "ACCESS EXCLUSIVE";
    for (const r of explicit.relations ?? []) add(mode, tableOf(nodeAs(r, "RangeVar")));
    return;
  }
  const refresh = nodeAs(node, "RefreshMatViewStmt");
  if (refresh) return add(refresh.concurrent ? "EXCLUSIVE" : "ACCESS EXCLUSIVE", tableOf(refresh.relation));
  const trigger = nodeAs(node, "CreateTrigStmt");
  if (trigger) return add("SHARE ROW EXCLUSIVE", tableOf(trigger.relation));
  const move = nodeAs(node, "AlterObjectSchemaStmt");
  if (move?.relation) return add("ACCESS EXCLUSIVE", tableOf(move.relation));
  // On the sequence, whatever it changes; nextval() needs ROW EXCLUSIVE on it, so inserts that use
  // the sequence wait until the migration commits (checked on PostgreSQL 15 with pg_locks).
  const sequence = nodeAs(node, "AlterSeqStmt");
  if (sequence) return add("SHARE ROW EXCLUSIVE", tableOf(sequence.sequence), "nextval() on the sequence (the inserts that use it wait)");
  // ACCESS EXCLUSIVE on every table, index, view and sequence the roles own, all held until commit.
  if (nodeAs(node, "ReassignOwnedStmt")) return add("ACCESS EXCLUSIVE", undefined, "reads and writes of every table, view and sequence it hands over");
  if (nodeAs(node, "DropOwnedStmt")) return add("ACCESS EXCLUSIVE", undefined, "reads and writes of every table, view and sequence it drops");
  // A policy is read while every query on its table is planned: creating, changing or dropping one waits for them all.
  const policy = nodeAs(node, "CreatePolicyStmt") ?? nodeAs(node, "AlterPolicyStmt");
  if (policy) return add("ACCESS EXCLUSIVE", tableOf(policy.table));
  const rule = nodeAs(node, "RuleStmt");
  if (rule) return add("ACCESS EXCLUSIVE", tableOf(rule.relation));
  const create = nodeAs(node, "CreateStmt");
  if (create) return createTableLocks(create, add);
  const view = nodeAs(node, "ViewStmt");
  if (view) return view.replace ? add("ACCESS EXCLUSIVE", tableOf(view.view)) : undefined;
  const domain = nodeAs(node, "AlterDomainStmt");
  if (domain) {
    // A new constraint (unless NOT VALID), SET NOT NULL and VALIDATE CONSTRAINT check every value: SHARE on each table with a column of the domain.
    const checks = domain.subtype === "O" || domain.subtype === "V" || (domain.subtype === "C" && nodeAs(domain.def, "Constraint")?.skip_validation !== true);
    return checks ? add("SHARE", undefined, "writes to every table with a column of the domain, while it checks their values") : undefined;
  }
  const comment = nodeAs(node, "CommentStmt") ?? nodeAs(node, "SecLabelStmt");
  if (comment) {
    const names = nodeAs(comment.object, "List")?.items;
    if (RELATION_OBJECTS.has(comment.objtype ?? "")) add("SHARE UPDATE EXCLUSIVE", tableOfNames(names));
    else if (comment.objtype === "OBJECT_COLUMN") add("SHARE UPDATE EXCLUSIVE", tableOfNames(names?.slice(0, -1)));
    else if (TABLE_PARTS.has(comment.objtype ?? "")) add("ACCESS SHARE", tableOfNames(names?.slice(0, -1)));
    return;
  }
  const statistics = nodeAs(node, "CreateStatsStmt");
  if (statistics) for (const r of statistics.relations ?? []) add("SHARE UPDATE EXCLUSIVE", tableOf(nodeAs(r, "RangeVar")));
}

function alterTableLocks(cmd: AlterTableCmd, table: TableRef | undefined, onIndex: boolean, add: AddLock): void {
  const partition = tableOf(nodeAs(cmd.def, "PartitionCmd")?.name);
  switch (cmd.subtype) {
    case "AT_AttachPartition":
      // The partition (a table, or for ALTER INDEX an index) is locked ACCESS EXCLUSIVE: a table's rows are checked against the bound under it.
      add("SHARE UPDATE EXCLUSIVE", table);
      add("ACCESS EXCLUSIVE", partition, onIndex ? "reads and writes of its table: every query on it waits for the index while it is planned" : undefined);
      return;
    case "AT_DetachPartition": {
      const mode = nodeAs(cmd.def, "PartitionCmd")?.concurrent ? "SHARE UPDATE EXCLUSIVE" : "ACCESS EXCLUSIVE";
      add(mode, table);
      add(mode, partition);
      return;
    }
    case "AT_DetachPartitionFinalize":
      add("SHARE UPDATE EXCLUSIVE", table);
      add("ACCESS EXCLUSIVE", partition);
      return;
    case "AT_AddConstraint": {
      const constraint = nodeAs(cmd.def, "Constraint");
      add(constraint?.contype === "CONSTR_FOREIGN" ? "SHARE ROW EXCLUSIVE" : "ACCESS EXCLUSIVE", table);
      if (constraint) referencedTableLock(constraint, table, add);
      return;
    }
    case "AT_AddColumn": {
      add("ACCESS EXCLUSIVE", table);
      const column = nodeAs(cmd.def, "ColumnDef");
      for (const c of column ? columnConstraints(column) : []) referencedTableLock(c, table, add);
      return;
    }
    case "AT_SetRelOptions":
    case "AT_ResetRelOptions":
      return add(relOptionsLock(nodeAs(cmd.def, "List")?.items), table);
    default:
      return add(alterTableLock(cmd.subtype), table);
  }
}

function alterTableLock(subtype: string | undefined): LockMode {
  switch (subtype) {
    case "AT_SetStatistics":
    case "AT_SetOptions":
    case "AT_ResetOptions":
    case "AT_ValidateConstraint":
    case "AT_ClusterOn":
    case "AT_DropCluster":
      return "SHARE UPDATE EXCLUSIVE";
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

/**
 * Storage parameters PostgreSQL 15 sets or resets under SHARE UPDATE EXCLUSIVE (with or without
 * `toast.`); any other takes ACCESS EXCLUSIVE: user_catalog_table, a view's security_barrier,
 * security_invoker and check_option, GIN's fastupdate and gin_pending_list_limit, GiST's
 * buffering, BRIN's pages_per_range and autosummarize.
 */
const SHARE_UPDATE_EXCLUSIVE_OPTIONS = new Set([
  "fillfactor",
  "parallel_workers",
  "toast_tuple_target",
  "vacuum_index_cleanup",
  "vacuum_truncate",
  "log_autovacuum_min_duration",
  "deduplicate_items",
]);

function relOptionsLock(options: Node[] | undefined): LockMode {
  const weak = (options ?? []).every((o) => {
    const name = nodeAs(o, "DefElem")?.defname ?? "";
    return SHARE_UPDATE_EXCLUSIVE_OPTIONS.has(name) || name.startsWith("autovacuum_");
  });
  return weak ? "SHARE UPDATE EXCLUSIVE" : "ACCESS EXCLUSIVE";
}

/** A foreign key locks the table it references SHARE ROW EXCLUSIVE, blocking its writes (not when it references its own table). */
function referencedTableLock(constraint: Constraint, table: TableRef | undefined, add: AddLock): void {
  if (constraint.contype !== "CONSTR_FOREIGN") return;
  const referenced = tableOf(constraint.pktable);
  if (referenced && referenced.key !== table?.key) add("SHARE ROW EXCLUSIVE", referenced);
}

function dropLocks(drop: DropStmt, add: AddLock): void {
  const type = drop.removeType ?? "";
  // DROP INDEX names the index: its table is locked too, ACCESS EXCLUSIVE (SHARE UPDATE EXCLUSIVE with CONCURRENTLY).
  if (type === "OBJECT_INDEX") return add(drop.concurrent ? "SHARE UPDATE EXCLUSIVE" : "ACCESS EXCLUSIVE");
  if (type === "OBJECT_STATISTIC_EXT") return add("SHARE UPDATE EXCLUSIVE");
  const relation = DROPPED_RELATIONS.has(type);
  if (!relation && !DROPPED_PARTS.has(type)) return;
  for (const object of drop.objects ?? []) {
    const names = nodeAs(object, "List")?.items;
    add("ACCESS EXCLUSIVE", tableOfNames(relation ? names : names?.slice(0, -1)));
  }
}

function createTableLocks(create: CreateStmt, add: AddLock): void {
  const table = tableOf(create.relation);
  // PARTITION OF: ACCESS EXCLUSIVE on the partitioned table; INHERITS: SHARE UPDATE EXCLUSIVE on each parent.
  for (const parent of create.inhRelations ?? []) add(create.partbound ? "ACCESS EXCLUSIVE" : "SHARE UPDATE EXCLUSIVE", tableOf(nodeAs(parent, "RangeVar")));
  for (const element of create.tableElts ?? []) {
    const column = nodeAs(element, "ColumnDef");
    for (const c of column ? columnConstraints(column) : []) referencedTableLock(c, table, add);
    const constraint = nodeAs(element, "Constraint");
    if (constraint) referencedTableLock(constraint, table, add);
  }
}
