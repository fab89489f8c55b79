import { alterTableCommands, nodeAs, tableOf } from "../ast";
import type { Rule } from "./rule";

/** ALTER TABLE ... DISABLE TRIGGER on an existing table. */
export const disableTrigger: Rule = {
  id: "disable-trigger",
  severity: "medium",
  summary: "ALTER TABLE ... DISABLE TRIGGER on an existing table.",
  why: "Whatever the trigger enforced (audit rows, derived columns, and with ALL or USER... ALL, the foreign-key checks) silently stops for every session until someone enables it again.",
  instead: "Keep triggers on; if a backfill must skip one, do it in a script with SET session_replication_role for that session only, or change the trigger's function.",
  kinds: ["AlterTableStmt"],
  check(context) {
    const alter = nodeAs(context.statement.node, "AlterTableStmt");
    if (!alter) return;
    const table = tableOf(alter.relation);
    if (!table || context.isNewTable(table)) return;
    for (const cmd of alterTableCommands(alter)) {
      if (cmd.subtype !== "AT_DisableTrig" && cmd.subtype !== "AT_DisableTrigAll" && cmd.subtype !== "AT_DisableTrigUser") continue;
      const which = cmd.subtype === "AT_DisableTrigAll" ? "ALL triggers (including foreign-key checks)" : cmd.subtype === "AT_DisableTrigUser" ? "every user trigger" : `trigger ${cmd.name ?? ""}`;
      context.report({ message: `DISABLE TRIGGER on ${table.display} turns off ${which} for every session.`, table });
    }
  },
};
