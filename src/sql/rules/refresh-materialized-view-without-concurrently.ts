import { tableOf } from "../ast";
import type { Rule } from "./rule";

/** REFRESH MATERIALIZED VIEW without CONCURRENTLY. */
export const refreshMaterializedViewWithoutConcurrently: Rule = {
  id: "refresh-materialized-view-without-concurrently",
  severity: "medium",
  summary: "REFRESH MATERIALIZED VIEW without CONCURRENTLY on an existing view.",
  why: "A plain refresh holds an ACCESS EXCLUSIVE lock on the view for the whole recomputation: every query reading it waits.",
  instead: "REFRESH MATERIALIZED VIEW CONCURRENTLY (the view needs a unique index), or refresh outside migrations on a schedule.",
  sizeSensitive: true,
  on: {
    RefreshMatViewStmt(stmt, context) {
      if (stmt.concurrent) return;
      const view = tableOf(stmt.relation);
      if (!view || context.isNewTable(view)) return;
      context.report({ message: `REFRESH MATERIALIZED VIEW ${view.display} blocks every read of the view until the refresh ends.`, table: view, at: stmt.relation?.location });
    },
  },
};
