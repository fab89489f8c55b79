import { nodeAs, tableOf } from "../ast";
import type { Rule } from "./rule";

/** ALTER TABLE ... ATTACH PARTITION of an existing table, which PostgreSQL scans to check the bound. */
export const attachPartition: Rule = {
  id: "attach-partition",
  severity: "medium",
  summary: "ALTER TABLE ... ATTACH PARTITION of a table that existed before this migration.",
  why: "PostgreSQL scans the whole partition to check that every row fits the partition bound, holding an ACCESS EXCLUSIVE lock on it that blocks reads and writes (and scans the parent's DEFAULT partition too, if it has one). The scan is skipped only when a validated CHECK constraint on the partition already implies the bound — which dbpipe cannot tell.",
  instead: "Add a CHECK constraint matching the partition bound NOT VALID, VALIDATE CONSTRAINT it in a later migration (no blocking lock), then ATTACH PARTITION (it uses the check and skips the scan), then drop the check. With such a check in place, acknowledge the finding with `-- dbpipe:allow attach-partition <reason>`.",
  sizeSensitive: true,
  commandsOf: "every-alter",
  on: {
    "AlterTableCmd:AT_AttachPartition"(cmd, context) {
      // ALTER INDEX ... ATTACH PARTITION attaches an index: nothing is scanned.
      if (context.alter.objtype !== "OBJECT_TABLE") return;
      const partition = nodeAs(cmd.def, "PartitionCmd");
      const table = tableOf(partition?.name);
      // A partition created in this migration is empty: its scan costs nothing.
      if (!table || context.isNewTable(table)) return;
      context.report({
        message: `ATTACH PARTITION ${table.display} to ${context.table.display} scans ${table.display} to check the partition bound, under an ACCESS EXCLUSIVE lock on it, unless a validated CHECK constraint already implies the bound.`,
        table,
        at: partition?.name?.location,
      });
    },
  },
};
