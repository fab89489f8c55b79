import type { Rule, RuleContext } from "./rule";

/** Statements PostgreSQL refuses inside a transaction block (other than CONCURRENTLY ones). */
export const cannotRunInTransaction: Rule = {
  id: "cannot-run-in-transaction",
  severity: "high",
  summary: "VACUUM, CREATE/DROP DATABASE, ALTER SYSTEM or CREATE/DROP TABLESPACE in a migration that runs in a transaction.",
  why: "PostgreSQL refuses these statements inside a transaction block, so the migration fails when it runs.",
  instead: "Move the statement to its own migration starting with `-- dbpipe:no-transaction`, or out of migrations altogether (databases, tablespaces and server settings belong to the Pulumi program).",
  on: {
    VacuumStmt(vacuum, context) {
      // ANALYZE on its own runs fine in a transaction; VACUUM does not.
      if (vacuum.is_vacuumcmd) refuse(context, "VACUUM");
    },
    CreatedbStmt: (_, context) => refuse(context, "CREATE DATABASE"),
    DropdbStmt: (_, context) => refuse(context, "DROP DATABASE"),
    AlterSystemStmt: (_, context) => refuse(context, "ALTER SYSTEM"),
    CreateTableSpaceStmt: (_, context) => refuse(context, "CREATE TABLESPACE"),
    DropTableSpaceStmt: (_, context) => refuse(context, "DROP TABLESPACE"),
  },
};

function refuse(context: RuleContext, what: string): void {
  if (!context.inTransaction) return;
  context.report({ message: `${what} cannot run inside a transaction block, and this migration runs in one: it will fail.` });
}
