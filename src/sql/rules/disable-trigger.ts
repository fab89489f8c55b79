import type { VariableSetStmt } from "libpg-query";
import { constantText, functionCalls } from "../ast";
import { roleName } from "./drop-owned";
import type { AlterCommandContext, Rule, RuleContext } from "./rule";

/**
 * Triggers that stop firing as they did: ALTER TABLE ... DISABLE TRIGGER, ENABLE REPLICA TRIGGER
 * or ENABLE ALWAYS TRIGGER on an existing table, and session_replication_role set to replica (SET,
 * SET LOCAL, set_config, ALTER DATABASE / ROLE ... SET), which turns off every ordinary trigger and
 * every foreign-key check at once.
 */
export const disableTrigger: Rule = {
  id: "disable-trigger",
  severity: "medium",
  summary: "ALTER TABLE ... DISABLE TRIGGER, ENABLE REPLICA / ALWAYS TRIGGER on an existing table, or session_replication_role set to replica.",
  why: "Whatever the trigger enforced (audit rows, derived columns, and with ALL, or with session_replication_role = replica, the foreign-key checks) silently stops, and rows written meanwhile are never checked again. Only a superuser may disable the foreign-key triggers or set session_replication_role (PostgreSQL 15 refuses both to a non-superuser owner, such as the stack's migrator), so such a migration fails where it is not run as one.",
  instead: "Keep triggers on; if a backfill must skip one, do it in a script run by an administrator with SET LOCAL session_replication_role for that transaction only, or change the trigger's function.",
  commandsOf: "existing-relations",
  on: {
    "AlterTableCmd:AT_DisableTrig": (cmd, context) => report(context, `trigger ${cmd.name ?? ""}`),
    "AlterTableCmd:AT_DisableTrigAll": (_, context) =>
      report(context, "ALL triggers (including foreign-key checks)", " Unless the migration runs as a superuser, PostgreSQL refuses it: the foreign-key checks are system triggers."),
    "AlterTableCmd:AT_DisableTrigUser": (_, context) => report(context, "every user trigger"),
    "AlterTableCmd:AT_EnableReplicaTrig"(cmd, context) {
      const { table } = context;
      context.report({
        message: `ENABLE REPLICA TRIGGER ${cmd.name ?? ""} on ${table.display}: the trigger stops firing for ordinary sessions — it fires only where session_replication_role is replica.`,
        table,
      });
    },
    "AlterTableCmd:AT_EnableAlwaysTrig"(cmd, context) {
      const { table } = context;
      context.report({
        message: `ENABLE ALWAYS TRIGGER ${cmd.name ?? ""} on ${table.display}: the trigger now fires where session_replication_role is replica too — for the rows logical replication applies on a subscriber, and in loads that set replica to skip it.`,
        table,
      });
    },
    VariableSetStmt(set, context) {
      if (!setsReplica(set)) return;
      const scope = set.is_local ? "the rest of the migration's transaction" : "the rest of the migration (the runner's RESET ALL ends it)";
      context.report({ message: `SET${set.is_local ? " LOCAL" : ""} session_replication_role = replica turns off ${EVERY_CHECK} for ${scope}: ${UNCHECKED} ${SUPERUSER_ONLY}` });
    },
    SelectStmt(_, context) {
      for (const call of functionCalls(context.statement.node, "set_config")) {
        const [setting, value] = [constantText(call.args?.[0]), constantText(call.args?.[1])];
        if (setting?.toLowerCase() !== "session_replication_role" || (value !== undefined && value.toLowerCase() !== "replica")) continue;
        const exactly = value === undefined ? "may set session_replication_role to replica (its value is not a constant), which turns off" : "sets session_replication_role to replica, which turns off";
        context.report({ message: `set_config() ${exactly} ${EVERY_CHECK} for the rest of the migration: ${UNCHECKED} ${SUPERUSER_ONLY}`, at: call.location });
      }
    },
    AlterDatabaseSetStmt: (alter, context) => reportDefault(context, alter.setstmt, `every new session of database ${alter.dbname ?? ""}`),
    AlterRoleSetStmt: (alter, context) => reportDefault(context, alter.setstmt, `every new session of role ${roleName(alter.role)}${alter.database ? ` in database ${alter.database}` : ""}`),
  },
};

const EVERY_CHECK = "every ordinary trigger and every foreign-key check";
const UNCHECKED = "rows written meanwhile are never checked.";
const SUPERUSER_ONLY = "Only a superuser may set it (or a role a superuser granted SET on it): as a non-superuser, such as the stack's migrator, the migration fails with permission denied.";

function report(context: AlterCommandContext, which: string, more = ""): void {
  const { table } = context;
  context.report({ message: `DISABLE TRIGGER on ${table.display} turns off ${which} for every session.${more}`, table });
}

function reportDefault(context: RuleContext, set: VariableSetStmt | undefined, whose: string): void {
  if (!set || !setsReplica(set)) return;
  context.report({ message: `SET session_replication_role = replica as the default of ${whose} turns off ${EVERY_CHECK} there, until someone resets it: ${UNCHECKED} ${SUPERUSER_ONLY}` });
}

/** True for `SET [LOCAL] session_replication_role = replica` (PostgreSQL reads the value without regard to case). */
function setsReplica(set: VariableSetStmt): boolean {
  if (set.kind !== "VAR_SET_VALUE" || set.name !== "session_replication_role") return false;
  return constantText(set.args?.[0])?.toLowerCase() === "replica";
}

