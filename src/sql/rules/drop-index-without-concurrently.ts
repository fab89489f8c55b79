import { nodeAs, tableOfNames } from "../ast";
import type { Rule } from "./rule";

/** DROP INDEX without CONCURRENTLY. */
export const dropIndexWithoutConcurrently: Rule = {
  id: "drop-index-without-concurrently",
  severity: "medium",
  summary: "DROP INDEX without CONCURRENTLY on an existing index.",
  why: "A plain DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's table: while it waits for running queries to finish, every new query on the table queues behind it.",
  instead:
    "DROP INDEX CONCURRENTLY, one index per statement and without CASCADE, in its own migration starting with `-- dbpipe:no-transaction`. A partitioned index cannot be dropped concurrently: keep the plain DROP INDEX, with a short lock_timeout and retries.",
  on: {
    DropStmt(drop, context) {
      if (drop.removeType !== "OBJECT_INDEX" || drop.concurrent) return;
      const existing = (drop.objects ?? []).map((o) => tableOfNames(nodeAs(o, "List")?.items)).filter((i) => i !== undefined).filter((i) => !context.isNewIndex(i.key));
      if (existing.length === 0) return;
      const partitioned = existing.filter((i) => context.history.isPartitionedIndex(i.key));
      const others = existing.length - partitioned.length;
      const hint =
        partitioned.length > 0
          ? `${partitioned.map((i) => i.display).join(", ")} ${partitioned.length === 1 ? "is a partitioned index" : "are partitioned indexes"}, which PostgreSQL cannot drop CONCURRENTLY: keep the plain DROP INDEX (it locks the partitioned table and every partition) in a migration with a short lock_timeout (SET lock_timeout = '2s'), and retry when it times out` +
            (others > 0 ? "; drop the other indexes with DROP INDEX CONCURRENTLY, one per `-- dbpipe:no-transaction` migration." : ".")
          : existing.length > 1 || drop.behavior === "DROP_CASCADE"
            ? `DROP INDEX CONCURRENTLY${existing.length > 1 ? " one index per statement" : ""}${drop.behavior === "DROP_CASCADE" ? ", without CASCADE (drop what depends on the index first)" : ""}, each in its own migration starting with \`-- dbpipe:no-transaction\`: PostgreSQL refuses CONCURRENTLY with several indexes or CASCADE.`
            : undefined;
      context.report({
        message: `DROP INDEX ${existing.map((i) => i.display).join(", ")} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table${partitioned.length > 0 ? " (for a partitioned index, on the partitioned table and every partition)" : ""}, blocking reads and writes while it waits and runs.`,
        ...(hint ? { hint } : {}),
      });
    },
  },
};
