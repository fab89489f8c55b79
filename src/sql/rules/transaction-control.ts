import { ENDS_TRANSACTION, plainWrapper, STARTS_TRANSACTION, transactionKind } from "../transactions";
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

/**
 * BEGIN, COMMIT, ROLLBACK and friends inside a migration file, judged as `dbpipe up` treats them:
 * in a transactional migration a statement that ends the transaction makes `up` refuse the file,
 * a plain `BEGIN; ... COMMIT;` around the whole file is dropped (not reported), and savepoints stay
 * inside the runner's transaction (not reported).
 */
export const transactionControl: Rule = {
  id: "transaction-control",
  severity: "medium",
  summary: "BEGIN, COMMIT or ROLLBACK inside a migration file, other than one BEGIN ... COMMIT around the whole file.",
  why: "dbpipe runs each migration in its own transaction and records it in the same one. A COMMIT in the file would end that transaction early, keeping what came before it apart from the history row, so `dbpipe up` refuses such a file; a stray BEGIN does nothing. In a no-transaction migration, dbpipe cannot tell which part ran when it fails part way.",
  instead: "Remove the transaction statements and let the runner own the transaction (a BEGIN ... COMMIT around the whole file may stay: dbpipe drops it); split the migration in two if part of it must commit first; for statements that cannot run in a transaction, use a separate `-- dbpipe:no-transaction` migration.",
  on: {
    TransactionStmt(_, context) {
      const kind = transactionKind(context.statement) ?? "";
      const word = WORDS[kind];
      if (!word) return;
      if (context.migration.noTransaction) {
        context.report({ message: `${word} in a no-transaction migration: dbpipe cannot tell which part ran if it fails part way.` });
        return;
      }
      if (!ENDS_TRANSACTION.has(kind) && !STARTS_TRANSACTION.has(kind)) return;
      const all = [...context.preceding, context.statement, ...context.following];
      if (plainWrapper(all)) return;
      context.report({
        message: ENDS_TRANSACTION.has(kind)
          ? `${word} ends the transaction dbpipe runs the migration in: \`dbpipe up\` refuses this file.`
          : `${word} inside the transaction dbpipe already runs the migration in does nothing (PostgreSQL only warns).`,
      });
    },
  },
};
