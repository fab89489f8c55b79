import { nodeAs, optionEnabled, tableOf } from "../ast";
import type { Rule } from "./rule";

/** VACUUM FULL. */
export const vacuumFull: Rule = {
  id: "vacuum-full",
  severity: "high",
  summary: "VACUUM FULL, which rewrites tables under an exclusive lock.",
  why: "VACUUM FULL rewrites the table into a new file under an ACCESS EXCLUSIVE lock held for the whole copy: no reads, no writes, and twice the table's disk space meanwhile.",
  instead: "Use pg_repack (online), or plain VACUUM, which takes no blocking lock; schedule maintenance outside migrations.",
  sizeSensitive: true,
  on: {
    VacuumStmt(vacuum, context) {
      if (!optionEnabled(vacuum.options, "full")) return;
      const relations = (vacuum.rels ?? []).map((r) => tableOf(nodeAs(r, "VacuumRelation")?.relation)).filter((t) => t !== undefined);
      if (relations.length === 0) {
        context.report({ message: "VACUUM FULL without a table rewrites every table of the database, each under an ACCESS EXCLUSIVE lock." });
        return;
      }
      for (const table of relations) {
        if (context.isNewTable(table)) continue;
        context.report({ message: `VACUUM FULL ${table.display} rewrites the table under an ACCESS EXCLUSIVE lock that blocks reads and writes until it ends.`, table });
      }
    },
  },
};
