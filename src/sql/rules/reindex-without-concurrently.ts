import { optionEnabled, tableOf } from "../ast";
import type { Rule } from "./rule";

/** REINDEX without CONCURRENTLY. */
export const reindexWithoutConcurrently: Rule = {
  id: "reindex-without-concurrently",
  severity: "high",
  summary: "REINDEX without CONCURRENTLY.",
  why: "A plain REINDEX locks the table against writes (SHARE) and each index it rebuilds with ACCESS EXCLUSIVE until the rebuild ends; planning any query on the table opens its indexes, so reads wait too.",
  instead: "REINDEX ... CONCURRENTLY (PostgreSQL 12+), in its own migration starting with `-- dbpipe:no-transaction`.",
  sizeSensitive: true,
  on: {
    ReindexStmt(stmt, context) {
      if (optionEnabled(stmt.params, "concurrently")) return;
      const target = tableOf(stmt.relation);
      const what = stmt.kind === "REINDEX_OBJECT_INDEX" ? "INDEX" : stmt.kind === "REINDEX_OBJECT_TABLE" ? "TABLE" : stmt.kind === "REINDEX_OBJECT_SCHEMA" ? "SCHEMA" : "DATABASE";
      if (target && context.isNewTable(target)) return;
      const table = stmt.kind === "REINDEX_OBJECT_TABLE" ? target : undefined;
      context.report({ message: `REINDEX ${what}${target ? ` ${target.display}` : ""} without CONCURRENTLY blocks writes to the table and, since planning a query on it opens its indexes, reads too, until the rebuild ends.`, table, at: stmt.relation?.location });
    },
  },
};
