import { tableOf } from "../ast";
import type { Rule } from "./rule";

/** CREATE INDEX without CONCURRENTLY on an existing table. */
export const createIndexWithoutConcurrently: Rule = {
  id: "create-index-without-concurrently",
  severity: "medium",
  summary: "CREATE INDEX without CONCURRENTLY on an existing table.",
  why: "A plain CREATE INDEX takes a SHARE lock: every INSERT, UPDATE and DELETE on the table waits until the whole index is built. An index on a table created in the same migration is fine.",
  instead: "CREATE INDEX CONCURRENTLY, in its own migration starting with `-- dbpipe:no-transaction` (if it fails, drop the INVALID index it leaves and run it again).",
  sizeSensitive: true,
  on: {
    IndexStmt(index, context) {
      if (index.concurrent) return;
      const table = tableOf(index.relation);
      if (!table || context.isNewTable(table)) return;
      const unique = index.unique ? "UNIQUE " : "";
      context.report({
        message: `CREATE ${unique}INDEX${index.idxname ? ` ${index.idxname}` : ""} on ${table.display} without CONCURRENTLY blocks writes to the table for the whole build.`,
        table,
        at: index.relation?.location,
      });
    },
  },
};
