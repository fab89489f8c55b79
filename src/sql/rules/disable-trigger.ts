import type { AlterCommandContext, Rule } from "./rule";

/** ALTER TABLE ... DISABLE TRIGGER on an existing table. */
export const disableTrigger: Rule = {
  id: "disable-trigger",
  severity: "medium",
  summary: "ALTER TABLE ... DISABLE TRIGGER on an existing table.",
  why: "Whatever the trigger enforced (audit rows, derived columns, and with ALL or USER... ALL, the foreign-key checks) silently stops for every session until someone enables it again.",
  instead: "Keep triggers on; if a backfill must skip one, do it in a script with SET session_replication_role for that session only, or change the trigger's function.",
  commandsOf: "existing-relations",
  on: {
    "AlterTableCmd:AT_DisableTrig": (cmd, context) => report(context, `trigger ${cmd.name ?? ""}`),
    "AlterTableCmd:AT_DisableTrigAll": (_, context) => report(context, "ALL triggers (including foreign-key checks)"),
    "AlterTableCmd:AT_DisableTrigUser": (_, context) => report(context, "every user trigger"),
  },
};

function report(context: AlterCommandContext, which: string): void {
  const { table } = context;
  context.report({ message: `DISABLE TRIGGER on ${table.display} turns off ${which} for every session.`, table });
}
