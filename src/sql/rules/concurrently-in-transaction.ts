import { concurrentlyForm } from "../ast";
import type { Rule, RuleContext } from "./rule";

/** A CONCURRENTLY statement in a migration that runs in a transaction. */
export const concurrentlyInTransaction: Rule = {
  id: "concurrently-in-transaction",
  severity: "high",
  summary: "CREATE INDEX, DROP INDEX, REINDEX or DETACH PARTITION ... CONCURRENTLY inside a transaction.",
  why: "PostgreSQL refuses CONCURRENTLY inside a transaction block, so the migration fails when it runs. dbpipe runs each migration in a transaction unless the file says otherwise.",
  instead: "Put the statement in its own migration that starts with `-- dbpipe:no-transaction` (one CONCURRENTLY statement per file, so a failure leaves nothing half-done).",
  on: {
    IndexStmt: (_, context) => check(context),
    DropStmt: (_, context) => check(context),
    ReindexStmt: (_, context) => check(context),
    AlterTableStmt: (_, context) => check(context),
  },
};

function check(context: RuleContext): void {
  if (!context.inTransaction) return;
  const what = concurrentlyForm(context.statement.node);
  if (!what) return;
  const why = context.migration.noTransaction ? "inside the file's explicit BEGIN" : "in a transaction (the file has no `-- dbpipe:no-transaction` line)";
  context.report({ message: `${what} cannot run inside a transaction block, and this migration runs it ${why}: it will fail.` });
}
