import { concurrentlyForm } from "../ast";
import type { Rule, RuleContext } from "./rule";

/** A CONCURRENTLY statement inside a no-transaction migration's own BEGIN. */
export const concurrentlyInTransaction: Rule = {
  id: "concurrently-in-transaction",
  severity: "high",
  // In a transactional migration, lint refuses the whole file before any rule runs (transactions.ts's refusedInTransaction, as `dbpipe up` does).
  summary: "CREATE INDEX, DROP INDEX, REINDEX or DETACH PARTITION ... CONCURRENTLY inside the explicit `BEGIN` of a no-transaction migration.",
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
  // Only a no-transaction migration's own BEGIN gets here: a transactional migration holding one is refused whole.
  context.report({ message: `${what} cannot run inside a transaction block, and this migration runs it inside the file's explicit BEGIN: it will fail.` });
}
