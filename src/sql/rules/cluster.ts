import { tableOf } from "../ast";
import type { Rule } from "./rule";

/** CLUSTER. */
export const cluster: Rule = {
  id: "cluster",
  severity: "high",
  summary: "CLUSTER, which rewrites a table in index order under an exclusive lock.",
  why: "CLUSTER rewrites the table in index order under an ACCESS EXCLUSIVE lock held for the whole rewrite: no reads, no writes.",
  instead: "Use pg_repack --order-by (online), outside migrations.",
  sizeSensitive: true,
  on: {
    ClusterStmt(stmt, context) {
      const table = tableOf(stmt.relation);
      if (!table) {
        context.report({ message: "CLUSTER without a table re-clusters every previously clustered table, each under an ACCESS EXCLUSIVE lock." });
        return;
      }
      if (context.isNewTable(table)) return;
      context.report({ message: `CLUSTER ${table.display} rewrites the table under an ACCESS EXCLUSIVE lock that blocks reads and writes until it ends.`, table, at: stmt.relation?.location });
    },
  },
};
