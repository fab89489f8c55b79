import { nonTransactionalForm } from "../transactions";
import type { Rule, RuleContext } from "./rule";

/** Statements PostgreSQL refuses inside a transaction block (other than CONCURRENTLY ones). */
export const cannotRunInTransaction: Rule = {
  id: "cannot-run-in-transaction",
  severity: "high",
  summary:
    "VACUUM, CREATE/DROP DATABASE, ALTER DATABASE SET TABLESPACE, ALTER SYSTEM, CREATE/DROP TABLESPACE, REINDEX SCHEMA/SYSTEM/DATABASE, CLUSTER without a table, DISCARD ALL, CREATE SUBSCRIPTION that creates a slot, ALTER SUBSCRIPTION that refreshes, COMMIT PREPARED or ROLLBACK PREPARED in a migration that runs in a transaction.",
  why: "PostgreSQL refuses these statements inside a transaction block, so the migration fails when it runs.",
  instead: "Move the statement to its own migration starting with `-- dbpipe:no-transaction`, or out of migrations altogether (databases, tablespaces and server settings belong to the Pulumi program).",
  // Which of them PostgreSQL refuses is transactions.ts's nonTransactionalForm, the one `dbpipe up` asks.
  on: {
    VacuumStmt: (_, context) => refuse(context),
    CreatedbStmt: (_, context) => refuse(context),
    DropdbStmt: (_, context) => refuse(context),
    AlterDatabaseStmt: (_, context) => refuse(context),
    AlterSystemStmt: (_, context) => refuse(context),
    CreateTableSpaceStmt: (_, context) => refuse(context),
    DropTableSpaceStmt: (_, context) => refuse(context),
    ReindexStmt: (_, context) => refuse(context),
    ClusterStmt: (_, context) => refuse(context),
    DiscardStmt: (_, context) => refuse(context),
    CreateSubscriptionStmt: (_, context) => refuse(context),
    AlterSubscriptionStmt: (_, context) => refuse(context),
    // COMMIT PREPARED and ROLLBACK PREPARED (other transaction statements are transaction-control's).
    TransactionStmt: (_, context) => refuse(context),
  },
};

function refuse(context: RuleContext): void {
  if (!context.inTransaction) return;
  const what = nonTransactionalForm(context.statement.node);
  if (what) context.report({ message: `${what} cannot run inside a transaction block, and this migration runs in one: it will fail.` });
}
