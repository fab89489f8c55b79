import { nodeAs } from "../ast";
import type { Rule } from "./rule";

/** Statements PostgreSQL refuses inside a transaction block (other than CONCURRENTLY ones). */
export const cannotRunInTransaction: Rule = {
  id: "cannot-run-in-transaction",
  severity: "high",
  summary: "VACUUM, CREATE/DROP DATABASE, ALTER SYSTEM or CREATE/DROP TABLESPACE in a migration that runs in a transaction.",
  why: "PostgreSQL refuses these statements inside a transaction block, so the migration fails when it runs.",
  instead: "Move the statement to its own migration starting with `-- dbpipe:no-transaction`, or out of migrations altogether (databases, tablespaces and server settings belong to the Pulumi program).",
  kinds: ["VacuumStmt", "CreatedbStmt", "DropdbStmt", "AlterSystemStmt", "CreateTableSpaceStmt", "DropTableSpaceStmt"],
  check(context) {
    if (!context.inTransaction) return;
    const node = context.statement.node;
    const vacuum = nodeAs(node, "VacuumStmt");
    // ANALYZE on its own runs fine in a transaction; VACUUM does not.
    if (vacuum && !vacuum.is_vacuumcmd) return;
    const names: Record<string, string> = {
      VacuumStmt: "VACUUM",
      CreatedbStmt: "CREATE DATABASE",
      DropdbStmt: "DROP DATABASE",
      AlterSystemStmt: "ALTER SYSTEM",
      CreateTableSpaceStmt: "CREATE TABLESPACE",
      DropTableSpaceStmt: "DROP TABLESPACE",
    };
    context.report({ message: `${names[context.statement.kind]} cannot run inside a transaction block, and this migration runs in one: it will fail.` });
  },
};
