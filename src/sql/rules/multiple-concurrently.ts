import { concurrentlyForm } from "../ast";
import type { Rule, RuleContext } from "./rule";

/** More than one CONCURRENTLY statement in one no-transaction migration. */
export const multipleConcurrently: Rule = {
  id: "multiple-concurrently",
  severity: "low",
  summary: "More than one CREATE INDEX, DROP INDEX, REINDEX or DETACH PARTITION ... CONCURRENTLY in one `-- dbpipe:no-transaction` migration.",
  why: "Outside a transaction each statement commits on its own. When a later one fails, the earlier ones stay done while the migration is not recorded as applied, and a failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind: running the migration again fails on what already exists (or, with IF NOT EXISTS, silently keeps the INVALID index).",
  instead: "One CONCURRENTLY statement per migration, so a failure leaves nothing half-done; after a failed index build, DROP INDEX CONCURRENTLY the INVALID index before running it again.",
  oncePerMigration: true,
  on: {
    IndexStmt: (_, context) => check(context),
    DropStmt: (_, context) => check(context),
    ReindexStmt: (_, context) => check(context),
    AlterTableStmt: (_, context) => check(context),
  },
};

function check(context: RuleContext): void {
  // Inside a transaction, concurrently-in-transaction says it fails.
  if (context.inTransaction) return;
  const what = concurrentlyForm(context.statement.node);
  if (!what) return;
  const first = context.preceding.find((s) => concurrentlyForm(s.node) !== undefined);
  if (!first) return;
  context.report({
    message: `${what} is not the only CONCURRENTLY statement of this no-transaction migration (the first is on line ${first.line}): if it fails, what ran before it stays done, the migration is not recorded, and a failed index build leaves an INVALID index.`,
  });
}
