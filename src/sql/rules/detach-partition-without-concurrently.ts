import { nodeAs, tableOf } from "../ast";
import { detachWithDefaultHint } from "./rejected-by-postgres";
import type { Rule } from "./rule";

/** ALTER TABLE ... DETACH PARTITION without CONCURRENTLY. */
export const detachPartitionWithoutConcurrently: Rule = {
  id: "detach-partition-without-concurrently",
  severity: "medium",
  summary: "DETACH PARTITION without CONCURRENTLY on an existing partitioned table.",
  why: "A plain DETACH PARTITION takes an ACCESS EXCLUSIVE lock on the parent table: every query on any partition waits while it waits.",
  instead:
    "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+), in its own migration starting with `-- dbpipe:no-transaction`. PostgreSQL refuses CONCURRENTLY while the table has a DEFAULT partition: then keep the plain DETACH, with a short lock_timeout and retries.",
  commandsOf: "existing-relations",
  on: {
    "AlterTableCmd:AT_DetachPartition"(cmd, context) {
      const partition = nodeAs(cmd.def, "PartitionCmd");
      if (!partition || partition.concurrent) return;
      const { table } = context;
      const hasDefault = context.history.defaultPartitionOf(table.key) !== undefined;
      context.report({
        message: `DETACH PARTITION ${tableOf(partition.name)?.display ?? ""} from ${table.display} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the whole partitioned table.`,
        ...(hasDefault ? { hint: detachWithDefaultHint(table.display) } : {}),
        table,
        at: partition.name?.location,
      });
    },
  },
};
