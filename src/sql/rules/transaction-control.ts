import { plainWrapper, STARTS_TRANSACTION, transactionKind } from "../transactions";
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
  // COMMIT PREPARED and ROLLBACK PREPARED finish a transaction prepared earlier: outside a
  // transaction, where PostgreSQL runs them, they split nothing (cannot-run-in-transaction reports
  // them inside one).
};

/**
 * BEGIN, COMMIT, ROLLBACK and friends inside a migration file, judged as `dbpipe up` treats them.
 * In a transactional migration a statement that ends the transaction is not a finding but an error
 * (the linter refuses the file as `up` does, whatever this rule's severity); what is left here is a
 * stray BEGIN, which does nothing. A plain `BEGIN; ... COMMIT;` around the whole file is dropped
 * (not reported), and savepoints stay inside the runner's transaction (not reported). In a
 * no-transaction migration every transaction statement is reported.
 */
export const transactionControl: Rule = {
  id: "transaction-control",
  severity: "medium",
  summary: "BEGIN or START TRANSACTION inside a transactional migration, or any transaction statement in a no-transaction one.",
  why: "dbpipe runs each migration in its own transaction and records it in the same one: a BEGIN in the file does nothing (PostgreSQL only warns), and says the author expected something else. A COMMIT or ROLLBACK would end that transaction early, keeping what came before it apart from the history row, so `dbpipe lint` and `dbpipe up` refuse such a file outright. In a no-transaction migration, dbpipe cannot tell which part ran when it fails part way.",
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
      // One that ends the transaction made the linter refuse the file before any rule ran.
      if (!STARTS_TRANSACTION.has(kind)) return;
      const all = [...context.preceding, context.statement, ...context.following];
      if (plainWrapper(all)) return;
      context.report({ message: `${word} inside the transaction dbpipe already runs the migration in does nothing (PostgreSQL only warns).` });
    },
  },
};
