import { nodeAs, tableOf } from "../ast";
import { blockedBy, blocksTraffic, LOCK_MODES } from "../locks";
import type { Rule } from "./rule";

/** An explicit LOCK TABLE in a mode that blocks reads or writes. */
export const lockTable: Rule = {
  id: "lock-table",
  severity: "high",
  summary: "LOCK TABLE in a mode that blocks reads or writes.",
  why: "An explicit lock is held until the migration's transaction ends, blocking everyone for the whole migration; while it waits for the lock, every query behind it queues too.",
  instead: "Let each statement take the lock it needs, briefly; if you must lock, keep the migration tiny and set a short lock_timeout first.",
  on: {
    LockStmt(stmt, context) {
      if (!context.inTransaction) {
        // PostgreSQL refuses LOCK TABLE outside a transaction block (checked on 15): the migration fails there.
        context.report({ message: "LOCK TABLE can only be used in a transaction block, and this migration runs without one (-- dbpipe:no-transaction): it fails, and locks nothing for the statements after it.", at: stmt.relations?.[0] ? nodeAs(stmt.relations[0], "RangeVar")?.location : undefined });
        return;
      }
      const mode = LOCK_MODES[(stmt.mode ?? 8) - 1] ?? "ACCESS EXCLUSIVE";
      if (!blocksTraffic(mode)) return;
      for (const r of stmt.relations ?? []) {
        const rv = nodeAs(r, "RangeVar");
        const table = tableOf(rv);
        if (!table || context.isNewTable(table)) continue;
        context.report({ message: `LOCK TABLE ${table.display} IN ${mode} MODE blocks ${blockedBy(mode)} on it until the migration's transaction ends.`, table, at: rv?.location });
      }
    },
  },
};
