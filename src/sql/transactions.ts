import type { Node } from "libpg-query";
import { concurrentlyForm, nodeAs, optionBoolean, optionEnabled } from "./ast";
import type { SqlStatement } from "./parse";

/**
 * Transaction statements in a migration, as the engine and the linter both judge them: a
 * transactional migration runs in dbpipe's own transaction, so a statement that ends it splits the
 * migration from its history row, while a plain `BEGIN; ... COMMIT;` around the whole file is
 * dropped and the file runs as if it were not there.
 */

/**
 * Statement kinds that end the transaction a migration runs in. (COMMIT PREPARED and ROLLBACK
 * PREPARED end no transaction: PostgreSQL refuses them inside one, see {@link nonTransactionalForm}.)
 */
export const ENDS_TRANSACTION: ReadonlySet<string> = new Set(["TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"]);

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

/**
 * The form of a statement PostgreSQL refuses inside a transaction block ("... cannot run inside a
 * transaction block"), in words (`CREATE INDEX CONCURRENTLY`, `VACUUM`); undefined for every
 * other statement. What `dbpipe up` refuses a transactional migration for, and what the linter's
 * concurrently-in-transaction and cannot-run-in-transaction rules report.
 *
 * Decided by the parse tree alone, option values included (`REINDEX (CONCURRENTLY false)` runs in
 * a transaction, `CONCURRENTLY yes` is no Boolean to PostgreSQL, which says so first). What only
 * the catalog tells is left to the server: CLUSTER or REINDEX of a partitioned table, DROP
 * SUBSCRIPTION of a subscription with a replication slot.
 */
export function outsideTransactionForm(node: Node): string | undefined {
  const schema = nodeAs(node, "CreateSchemaStmt");
  // CREATE SCHEMA ... CREATE INDEX CONCURRENTLY: refused as the statement would be on its own.
  if (schema) return schema.schemaElts?.map((e) => outsideTransactionForm(e)).find((f) => f !== undefined);
  return concurrentlyForm(node) ?? nonTransactionalForm(node);
}

/** {@link outsideTransactionForm} for the statements that have no CONCURRENTLY in them ({@link concurrentlyForm} names those). */
export function nonTransactionalForm(node: Node): string | undefined {
  const transaction = nodeAs(node, "TransactionStmt")?.kind;
  if (transaction === "TRANS_STMT_COMMIT_PREPARED") return "COMMIT PREPARED";
  if (transaction === "TRANS_STMT_ROLLBACK_PREPARED") return "ROLLBACK PREPARED";
  // ANALYZE on its own runs in a transaction; VACUUM, whatever its options, does not.
  if (nodeAs(node, "VacuumStmt")?.is_vacuumcmd) return "VACUUM";
  if (nodeAs(node, "CreatedbStmt")) return "CREATE DATABASE";
  if (nodeAs(node, "DropdbStmt")) return "DROP DATABASE";
  // SET TABLESPACE (or WITH TABLESPACE) moves the database's files; other options, and ALTER DATABASE ... SET param, are catalog changes.
  const database = nodeAs(node, "AlterDatabaseStmt");
  if (database?.options?.length === 1 && nodeAs(database.options[0], "DefElem")?.defname === "tablespace") return "ALTER DATABASE SET TABLESPACE";
  if (nodeAs(node, "CreateTableSpaceStmt")) return "CREATE TABLESPACE";
  if (nodeAs(node, "DropTableSpaceStmt")) return "DROP TABLESPACE";
  if (nodeAs(node, "AlterSystemStmt")) return "ALTER SYSTEM";
  const reindex = nodeAs(node, "ReindexStmt");
  if (reindex && !optionEnabled(reindex.params, "concurrently")) {
    return { REINDEX_OBJECT_SCHEMA: "REINDEX SCHEMA", REINDEX_OBJECT_SYSTEM: "REINDEX SYSTEM", REINDEX_OBJECT_DATABASE: "REINDEX DATABASE" }[reindex.kind as string];
  }
  // CLUSTER of one table runs in a transaction; the form that re-clusters every clustered table does not.
  const cluster = nodeAs(node, "ClusterStmt");
  if (cluster && !cluster.relation) return "CLUSTER without a table";
  if (nodeAs(node, "DiscardStmt")?.target === "DISCARD_ALL") return "DISCARD ALL";
  // Creating a replication slot cannot be rolled back: the default, unless connect = false or slot_name = NONE
  // (which PostgreSQL only takes with create_slot = false).
  const subscription = nodeAs(node, "CreateSubscriptionStmt");
  if (subscription) {
    const { options } = subscription;
    const noSlot = options?.some((o) => nodeAs(o, "DefElem")?.defname === "slot_name" && nodeAs(nodeAs(o, "DefElem")?.arg, "String")?.sval === "none");
    const createsSlot = (optionBoolean(options, "connect") ?? true) === true && (optionBoolean(options, "create_slot") ?? true) === true;
    return createsSlot && !noSlot ? "CREATE SUBSCRIPTION ... WITH (create_slot = true)" : undefined;
  }
  // Refreshing a subscription's tables starts their copy on the publisher: REFRESH PUBLICATION always, SET, ADD
  // and DROP PUBLICATION unless refresh = false.
  const alterSubscription = nodeAs(node, "AlterSubscriptionStmt");
  if (alterSubscription?.kind === "ALTER_SUBSCRIPTION_REFRESH") return "ALTER SUBSCRIPTION ... REFRESH PUBLICATION";
  if (alterSubscription && PUBLICATION_CHANGES.has(alterSubscription.kind as string) && (optionBoolean(alterSubscription.options, "refresh") ?? true) === true) {
    return "ALTER SUBSCRIPTION ... PUBLICATION with refresh";
  }
  return undefined;
}

const PUBLICATION_CHANGES: ReadonlySet<string> = new Set(["ALTER_SUBSCRIPTION_SET_PUBLICATION", "ALTER_SUBSCRIPTION_ADD_PUBLICATION", "ALTER_SUBSCRIPTION_DROP_PUBLICATION"]);

/** A statement dbpipe's transaction cannot take, in a transactional migration. */
export interface TransactionRefusal {
  statement: SqlStatement;
  /** {@link outsideTransactionForm}'s words for it; undefined when it would end the transaction. */
  form?: string;
}

/**
 * The first statement of a transactional migration's section that dbpipe's own transaction
 * cannot take: one that would end it (a plain wrapper around the whole section set aside), or one
 * PostgreSQL refuses inside a transaction block; undefined when there is none. What `dbpipe up`
 * (and `down`, `plan`, `status`) refuses a pending file for; `dbpipe lint`, which judges applied
 * files too, refuses only the first kind and reports the second as findings.
 */
export function refusedInTransaction(statements: readonly SqlStatement[]): TransactionRefusal | undefined {
  const ending = transactionEnding(statements);
  for (const statement of statements) {
    if (statement === ending) return { statement };
    const form = outsideTransactionForm(statement.node);
    if (form) return { statement, form };
  }
  return undefined;
}

/** Why a transactional migration may not hold the refused statement (`shown`: its text on one line), and what to do instead. */
export function refusalProblem(refusal: TransactionRefusal, shown: string): string {
  return refusal.form === undefined ? transactionEndingProblem(shown) : outsideTransactionProblem(shown, refusal.form);
}

/**
 * The keys, in the parser's JSON, of every statement {@link outsideTransactionForm} may name: a
 * section whose parse holds none of them holds no such statement (check-parse.ts looks for them
 * without building the tree).
 */
export const OUTSIDE_TRANSACTION_KEYS: readonly string[] = [
  '"concurrent":true',
  '"ReindexStmt"',
  '"VacuumStmt"',
  '"CreatedbStmt"',
  '"DropdbStmt"',
  '"AlterDatabaseStmt"',
  '"CreateTableSpaceStmt"',
  '"DropTableSpaceStmt"',
  '"AlterSystemStmt"',
  '"ClusterStmt"',
  '"DiscardStmt"',
  '"CreateSubscriptionStmt"',
  '"AlterSubscriptionStmt"',
];

/**
 * Why a transactional migration may not hold `statement` (on one line), of the form `form` (see
 * {@link outsideTransactionForm}), and what to do instead.
 */
export function outsideTransactionProblem(statement: string, form: string): string {
  return (
    `\`${statement}\` cannot run inside a transaction block: PostgreSQL refuses ${form} in one, and dbpipe runs this migration in a transaction together with its history row. ` +
    "Add `-- dbpipe:no-transaction` as the file's first line, so that its statements run one by one outside a transaction; if the file holds other statements, move this one to a migration of its own first (a no-transaction migration that fails part way keeps what ran before the failure)."
  );
}
