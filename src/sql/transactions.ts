import { nodeAs } from "./ast";
import type { SqlStatement } from "./parse";

/**
 * Transaction statements in a migration, as the engine and the linter both judge them: a
 * transactional migration runs in dbpipe's own transaction, so a statement that ends it splits the
 * migration from its history row, while a plain `BEGIN; ... COMMIT;` around the whole file is
 * dropped and the file runs as if it were not there.
 */

/** Statement kinds that end the transaction a migration runs in. */
export const ENDS_TRANSACTION: ReadonlySet<string> = new Set(["TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE", "TRANS_STMT_COMMIT_PREPARED", "TRANS_STMT_ROLLBACK_PREPARED"]);

/** Statement kinds that start one. */
export const STARTS_TRANSACTION: ReadonlySet<string> = new Set(["TRANS_STMT_BEGIN", "TRANS_STMT_START"]);

/** The `TransactionStmt` kind of a statement (`TRANS_STMT_COMMIT`, ...), undefined for other statements. */
export function transactionKind(statement: SqlStatement): string | undefined {
  return nodeAs(statement.node, "TransactionStmt")?.kind;
}

/**
 * The `BEGIN` and `COMMIT` that wrap a whole section, when they are its only transaction
 * statements that start or end a transaction and drop nothing by being removed (`BEGIN` without
 * modes, `COMMIT` without `AND CHAIN`); undefined otherwise.
 */
export function plainWrapper(statements: readonly SqlStatement[]): [SqlStatement, SqlStatement] | undefined {
  const control = statements.filter((s) => {
    const kind = transactionKind(s);
    return kind !== undefined && (ENDS_TRANSACTION.has(kind) || STARTS_TRANSACTION.has(kind));
  });
  if (control.length !== 2 || control[0] !== statements[0] || control[1] !== statements[statements.length - 1]) return undefined;
  const start = nodeAs(control[0].node, "TransactionStmt")!;
  const end = nodeAs(control[1].node, "TransactionStmt")!;
  const plain = STARTS_TRANSACTION.has(start.kind!) && (start.options ?? []).length === 0 && end.kind === "TRANS_STMT_COMMIT" && !end.chain;
  return plain ? [control[0], control[1]] : undefined;
}

/**
 * The first statement that would end the transaction a transactional migration runs in, once a
 * plain wrapper around the whole section is set aside; undefined when there is none. What
 * `dbpipe up` refuses a file for, and `dbpipe lint` too.
 */
export function transactionEnding(statements: readonly SqlStatement[]): SqlStatement | undefined {
  const first = statements.find((s) => ENDS_TRANSACTION.has(transactionKind(s) ?? ""));
  return first === undefined || plainWrapper(statements) ? undefined : first;
}

/** Why a transactional migration may not hold `statement` (on one line), and what to do instead. */
export function transactionEndingProblem(statement: string): string {
  return (
    `\`${statement}\` would end the transaction dbpipe runs this migration in: what comes before it would be committed apart from the migration's history row, and a later failure could not roll it back. ` +
    "Split the migration into separate files at this point, or mark the file `-- dbpipe:no-transaction` to run its statements one by one. " +
    "(A file wrapped whole in a plain `BEGIN; ... COMMIT;` is fine: dbpipe runs it without those two statements.)"
  );
}
