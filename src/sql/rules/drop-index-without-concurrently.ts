import { nodeAs, tableOfNames } from "../ast";
import type { Rule } from "./rule";

/** DROP INDEX without CONCURRENTLY. */
export const dropIndexWithoutConcurrently: Rule = {
  id: "drop-index-without-concurrently",
  severity: "medium",
  summary: "DROP INDEX without CONCURRENTLY on an existing index.",
  why: "A plain DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's table: while it waits for running queries to finish, every new query on the table queues behind it.",
  instead: "DROP INDEX CONCURRENTLY, in its own migration starting with `-- dbpipe:no-transaction`.",
  on: {
    DropStmt(drop, context) {
      if (drop.removeType !== "OBJECT_INDEX" || drop.concurrent) return;
      const existing = (drop.objects ?? []).map((o) => tableOfNames(nodeAs(o, "List")?.items)).filter((i) => i !== undefined && !context.isNewIndex(i.key));
      if (existing.length === 0) return;
      context.report({ message: `DROP INDEX ${existing.map((i) => i?.display).join(", ")} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table, blocking reads and writes while it waits and runs.` });
    },
  },
};
