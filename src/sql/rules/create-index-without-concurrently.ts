import type { IndexStmt } from "libpg-query";
import { type TableRef, tableOf } from "../ast";
import type { Rule } from "./rule";

/** CREATE INDEX without CONCURRENTLY on an existing table. */
export const createIndexWithoutConcurrently: Rule = {
  id: "create-index-without-concurrently",
  severity: "medium",
  summary: "CREATE INDEX without CONCURRENTLY on an existing table.",
  why: "A plain CREATE INDEX takes a SHARE lock: every INSERT, UPDATE and DELETE on the table waits until the whole index is built (on a partitioned table, on every partition). An index on a table created in the same migration is fine.",
  instead: "CREATE INDEX CONCURRENTLY, in its own migration starting with `-- dbpipe:no-transaction` (if it fails, drop the INVALID index it leaves and run it again). On a partitioned table, where PostgreSQL refuses CONCURRENTLY, build it in parts: CREATE INDEX ... ON ONLY the parent, CREATE INDEX CONCURRENTLY on each partition, then ALTER INDEX ... ATTACH PARTITION each.",
  sizeSensitive: true,
  on: {
    IndexStmt(index, context) {
      if (index.concurrent) return;
      const table = tableOf(index.relation);
      if (!table || context.isNewTable(table)) return;
      const partitioned = context.history.isPartitioned(table.key);
      // ON ONLY a partitioned table builds nothing: it makes an invalid index on the parent alone, the first step of the pattern below.
      if (partitioned && index.relation?.inh !== true) return;
      const unique = index.unique ? "UNIQUE " : "";
      context.report({
        message: `CREATE ${unique}INDEX${index.idxname ? ` ${index.idxname}` : ""} on ${table.display} without CONCURRENTLY blocks writes to the table${partitioned ? " and every one of its partitions" : ""} for the whole build.`,
        ...(partitioned ? { hint: partitionedIndexSteps(index, table) } : {}),
        table,
        at: index.relation?.location,
      });
    },
  },
};

/**
 * How to build `index` on the partitioned table `table` without blocking writes, since PostgreSQL
 * refuses CREATE INDEX CONCURRENTLY on a partitioned table: the index on the parent alone, then one
 * per partition built concurrently, each attached to it.
 */
export function partitionedIndexSteps(index: IndexStmt, table: TableRef): string {
  const unique = index.unique ? "UNIQUE " : "";
  const name = index.idxname ?? `${table.name}_idx`;
  return (
    `PostgreSQL cannot build an index on a partitioned table CONCURRENTLY; build it in parts: CREATE ${unique}INDEX ${name} ON ONLY ${table.display} (...) ` +
    "(instant: an invalid index on the parent alone), then CREATE " +
    `${unique}INDEX CONCURRENTLY of the same columns on each partition (each in its own \`-- dbpipe:no-transaction\` migration), then ALTER INDEX ${name} ATTACH PARTITION <partition's index> for each: ` +
    `${name} becomes valid once every partition's index is attached.`
  );
}
