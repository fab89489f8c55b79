import { nodeAs, tableOfNames } from "../ast";
import type { Rule } from "./rule";

/** DROP INDEX of an index that existed before this migration. */
export const dropIndex: Rule = {
  id: "drop-index",
  severity: "medium",
  summary: "DROP INDEX of an existing index.",
  why: "Queries that used the index fall back to slower plans (often sequential scans) the moment it is gone, and rebuilding it takes as long as building it did.",
  instead: "Check that nothing uses it (pg_stat_user_indexes.idx_scan stays flat over a week), then drop it with DROP INDEX CONCURRENTLY in its own no-transaction migration.",
  on: {
    DropStmt(drop, context) {
      if (drop.removeType !== "OBJECT_INDEX") return;
      for (const object of drop.objects ?? []) {
        const index = tableOfNames(nodeAs(object, "List")?.items);
        if (!index || context.isNewIndex(index.key)) continue;
        context.report({ message: `DROP INDEX ${index.display}: queries that use it get slower, and getting it back means rebuilding it.` });
      }
    },
  },
};
