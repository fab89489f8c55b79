import { nodeAs } from "../ast";
import type { Rule } from "./rule";

const WORDS: Record<string, string> = {
  TRANS_STMT_BEGIN: "BEGIN",
  TRANS_STMT_START: "START TRANSACTION",
  TRANS_STMT_COMMIT: "COMMIT",
  TRANS_STMT_ROLLBACK: "ROLLBACK",
  TRANS_STMT_SAVEPOINT: "SAVEPOINT",
  TRANS_STMT_RELEASE: "RELEASE SAVEPOINT",
  TRANS_STMT_ROLLBACK_TO: "ROLLBACK TO SAVEPOINT",
  TRANS_STMT_PREPARE: "PREPARE TRANSACTION",
  TRANS_STMT_COMMIT_PREPARED: "COMMIT PREPARED",
  TRANS_STMT_ROLLBACK_PREPARED: "ROLLBACK PREPARED",
};

/** BEGIN, COMMIT, ROLLBACK and friends inside a migration file. */
export const transactionControl: Rule = {
  id: "transaction-control",
  severity: "medium",
  summary: "BEGIN, COMMIT, ROLLBACK or SAVEPOINT inside a migration file.",
  why: "dbpipe runs each migration in its own transaction and records it in the same one. A COMMIT in the file ends that transaction early: what follows runs outside it, and a failure leaves the migration half-applied and unrecorded.",
  instead: "Remove the transaction statements and let the runner own the transaction; for statements that cannot run in a transaction, use a separate `-- dbpipe:no-transaction` migration.",
  kinds: ["TransactionStmt"],
  check(context) {
    const stmt = nodeAs(context.statement.node, "TransactionStmt");
    const word = WORDS[stmt?.kind ?? ""];
    if (!word) return;
    const where = context.migration.noTransaction
      ? "a no-transaction migration: dbpipe cannot tell which part ran if it fails part way"
      : "a migration that dbpipe already runs in a transaction";
    context.report({ message: `${word} in ${where}.` });
  },
};
