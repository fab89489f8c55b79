import { optionEnabled } from "../ast";
import type { Rule, RuleContext } from "./rule";

/** Statements PostgreSQL refuses inside a transaction block (other than CONCURRENTLY ones). */
export const cannotRunInTransaction: Rule = {
  id: "cannot-run-in-transaction",
  severity: "high",
  summary: "VACUUM, CREATE/DROP DATABASE, ALTER SYSTEM, CREATE/DROP TABLESPACE, REINDEX SCHEMA/SYSTEM/DATABASE or CLUSTER without a table in a migration that runs in a transaction.",
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
    ReindexStmt(stmt, context) {
      // REINDEX CONCURRENTLY of any kind is concurrently-in-transaction's.
      if (optionEnabled(stmt.params, "concurrently")) return;
      const what = { REINDEX_OBJECT_SCHEMA: "REINDEX SCHEMA", REINDEX_OBJECT_SYSTEM: "REINDEX SYSTEM", REINDEX_OBJECT_DATABASE: "REINDEX DATABASE" }[stmt.kind as string];
      if (what) refuse(context, what);
    },
    ClusterStmt(stmt, context) {
      // CLUSTER of one table runs in a transaction; the form that re-clusters every clustered table does not.
      if (!stmt.relation) refuse(context, "CLUSTER without a table");
    },
  },
};

function refuse(context: RuleContext, what: string): void {
  if (!context.inTransaction) return;
  context.report({ message: `${what} cannot run inside a transaction block, and this migration runs in one: it will fail.` });
}
