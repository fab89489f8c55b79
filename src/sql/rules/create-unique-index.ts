import { tableOf } from "../ast";
import type { Rule } from "./rule";

/** CREATE UNIQUE INDEX (concurrently or not) on an existing table: it fails on the first duplicate. */
export const createUniqueIndex: Rule = {
  id: "create-unique-index",
  severity: "medium",
  summary: "CREATE UNIQUE INDEX, concurrently or not, on a table that existed before this migration.",
  why: "PostgreSQL checks the rows already in the table while it builds the index, and the migration fails on the first duplicate. Built CONCURRENTLY, the failed build also leaves an INVALID index behind, which slows every write until someone drops it.",
  instead: "Look for duplicates first (SELECT ... GROUP BY ... HAVING count(*) > 1) and clean them up in an earlier migration; build the index CONCURRENTLY in a no-transaction migration, and DROP INDEX CONCURRENTLY IF EXISTS it before a retry.",
  on: {
    IndexStmt(index, context) {
      if (!index.unique) return;
      const table = tableOf(index.relation);
      if (!table || context.isNewTable(table)) return;
      const partitioned = context.history.isPartitioned(table.key);
      // On a partitioned table, CONCURRENTLY fails before any row is read (rejected-by-postgres says so), and ON ONLY reads no row.
      if (partitioned && (index.concurrent || index.relation?.inh !== true)) return;
      const leftover = index.concurrent ? ", and leaves an INVALID index behind that must be dropped before a retry" : "";
      context.report({
        message: `CREATE UNIQUE INDEX${index.idxname ? ` ${index.idxname}` : ""} on ${table.display} fails if the existing rows hold a duplicate${leftover}.`,
        ...(partitioned
          ? {
              hint: "Look for duplicates first (SELECT ... GROUP BY ... HAVING count(*) > 1) and clean them up in an earlier migration. PostgreSQL cannot build it CONCURRENTLY on a partitioned table: CREATE UNIQUE INDEX ... ON ONLY the parent, CREATE UNIQUE INDEX CONCURRENTLY on each partition (DROP INDEX CONCURRENTLY IF EXISTS a failed one before a retry), then ALTER INDEX ... ATTACH PARTITION each.",
            }
          : {}),
        table,
        at: index.relation?.location,
      });
    },
  },
};
