import { type TableRef, nodeAs, tableOf, tableOfKey } from "../ast";
import type { Rule, RuleContext } from "./rule";

/**
 * A partition added to a partitioned table that existed before this migration: ATTACH PARTITION of
 * an existing table (scanned to check the bound), CREATE TABLE ... PARTITION OF (an ACCESS
 * EXCLUSIVE lock on the parent), and either one scanning the parent's DEFAULT partition.
 */
export const attachPartition: Rule = {
  id: "attach-partition",
  severity: "medium",
  summary: "ALTER TABLE ... ATTACH PARTITION of a table that existed before this migration, or a new partition (CREATE TABLE ... PARTITION OF, or ATTACH of a new table) of an existing partitioned table.",
  why:
    "ATTACH PARTITION scans the whole partition to check that every row fits the partition bound, holding an ACCESS EXCLUSIVE lock on it that blocks reads and writes; the scan is skipped only when a validated CHECK constraint on the partition already implies the bound — which dbpipe cannot tell. CREATE TABLE ... PARTITION OF takes an ACCESS EXCLUSIVE lock on the partitioned table itself, blocking every query on it. And when the partitioned table has a DEFAULT partition, both scan it under an ACCESS EXCLUSIVE lock, to check that none of its rows belongs in the new partition.",
  instead:
    "Add a CHECK constraint matching the partition bound NOT VALID, VALIDATE CONSTRAINT it in a later migration (no blocking lock), then ATTACH PARTITION (it uses the check and skips the scan), then drop the check. Make a new partition as a table of its own and ATTACH it (a SHARE UPDATE EXCLUSIVE lock on the parent, which lets queries run) rather than CREATE TABLE ... PARTITION OF. With a DEFAULT partition, first give it a validated CHECK constraint that excludes the new partition's range (NOT VALID, then VALIDATE): PostgreSQL then skips its scan. With such checks in place, acknowledge the finding with `-- dbpipe:allow attach-partition <reason>`.",
  sizeSensitive: true,
  commandsOf: "every-alter",
  on: {
    "AlterTableCmd:AT_AttachPartition"(cmd, context) {
      // ALTER INDEX ... ATTACH PARTITION attaches an index: nothing is scanned.
      if (context.alter.objtype !== "OBJECT_TABLE") return;
      const partition = nodeAs(cmd.def, "PartitionCmd");
      const table = tableOf(partition?.name);
      const parent = context.table;
      // Nobody else can be using a partitioned table created in this migration, and its partitions are empty.
      if (!table || context.isNewTable(parent)) return;
      const defaultPartition = existingDefaultPartition(parent, context);
      const defaultScan = defaultPartition ? defaultScanOf(defaultPartition) : "";
      if (context.isNewTable(table)) {
        // A partition created in this migration is empty: its own scan costs nothing, and the parent gets a SHARE UPDATE EXCLUSIVE lock.
        if (!defaultPartition) return;
        context.report({
          message: `ATTACH PARTITION ${table.display} to ${parent.display} ${defaultScan} (${parent.display} itself gets only a SHARE UPDATE EXCLUSIVE lock).`,
          hint: defaultCheckHint(defaultPartition),
          table: defaultPartition,
          at: partition?.name?.location,
        });
        return;
      }
      context.report({
        message: `ATTACH PARTITION ${table.display} to ${parent.display} scans ${table.display} to check the partition bound, under an ACCESS EXCLUSIVE lock on it, unless a validated CHECK constraint already implies the bound${defaultPartition ? `; it also ${defaultScan}` : ""}.`,
        table,
        at: partition?.name?.location,
      });
    },
    CreateStmt(create, context) {
      const parent = create.partbound ? tableOf(nodeAs(create.inhRelations?.[0], "RangeVar")) : undefined;
      const table = tableOf(create.relation);
      if (!parent || !table || context.isNewTable(parent)) return;
      const defaultPartition = create.partbound?.is_default ? undefined : existingDefaultPartition(parent, context);
      context.report({
        message:
          `CREATE TABLE ${table.display} PARTITION OF ${parent.display} takes an ACCESS EXCLUSIVE lock on ${parent.display}: every query on it waits, for as long as the statement waits for running queries and until the migration commits` +
          (defaultPartition ? `; it also ${defaultScanOf(defaultPartition)}.` : "."),
        hint:
          `Create ${table.display} as a table of its own (CREATE TABLE ${table.display} (LIKE ${parent.display} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)), then ALTER TABLE ${parent.display} ATTACH PARTITION ${table.display} FOR VALUES ...: ATTACH takes only a SHARE UPDATE EXCLUSIVE lock on ${parent.display}, which lets queries run.` +
          (defaultPartition ? ` ${defaultCheckHint(defaultPartition)}` : ""),
        ...(defaultPartition ? { table: defaultPartition } : {}),
        at: create.relation?.location,
      });
    },
  },
};

/** The DEFAULT partition of `parent` the history knows, unless it was created in this migration (empty, and nobody waits on it). */
export function existingDefaultPartition(parent: TableRef, context: RuleContext): TableRef | undefined {
  const key = context.history.defaultPartitionOf(parent.key);
  const table = key !== undefined ? tableOfKey(key) : undefined;
  return table && !context.isNewTable(table) ? table : undefined;
}

function defaultScanOf(defaultPartition: TableRef): string {
  return `scans the DEFAULT partition ${defaultPartition.display} to check that none of its rows belongs in the new partition, under an ACCESS EXCLUSIVE lock on ${defaultPartition.display}`;
}

function defaultCheckHint(defaultPartition: TableRef): string {
  return `To skip the scan of ${defaultPartition.display}, give it first a CHECK constraint that excludes the new partition's range (ALTER TABLE ${defaultPartition.display} ADD CONSTRAINT ... CHECK (NOT (...)) NOT VALID, then VALIDATE CONSTRAINT in a later migration): PostgreSQL then knows none of its rows belongs in the new partition.`;
}
