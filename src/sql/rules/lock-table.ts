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
