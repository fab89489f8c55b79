import { addExclusionConstraint } from "./add-exclusion-constraint";
import { addPrimaryKey } from "./add-primary-key";
import { addSerialColumn } from "./add-serial-column";
import { addUniqueConstraint } from "./add-unique-constraint";
import { attachPartition } from "./attach-partition";
import { bulkDataChange } from "./bulk-data-change";
import { cannotRunInTransaction } from "./cannot-run-in-transaction";
import { changeColumnType } from "./change-column-type";
import { changeDefault } from "./change-default";
import { changeOwner } from "./change-owner";
import { changePolicy } from "./change-policy";
import { changeSequence } from "./change-sequence";
import { checkWithoutNotValid } from "./check-without-not-valid";
import { cluster } from "./cluster";
import { concurrentlyInTransaction } from "./concurrently-in-transaction";
import { createExtension } from "./create-extension";
import { createIndexWithoutConcurrently } from "./create-index-without-concurrently";
import { createUniqueIndex } from "./create-unique-index";
import { dataChange } from "./data-change";
import { deleteWithoutWhere } from "./delete-without-where";
import { detachPartitionWithoutConcurrently } from "./detach-partition-without-concurrently";
import { disableRowLevelSecurity } from "./disable-row-level-security";
import { disableTrigger } from "./disable-trigger";
import { domainCheckWithoutNotValid } from "./domain-check-without-not-valid";
import { dropColumn } from "./drop-column";
import { dropConstraint } from "./drop-constraint";
import { dropDatabase } from "./drop-database";
import { dropIndex } from "./drop-index";
import { dropIndexWithoutConcurrently } from "./drop-index-without-concurrently";
import { dropNotNull } from "./drop-not-null";
import { dropObject } from "./drop-object";
import { dropOwned } from "./drop-owned";
import { dropSchema } from "./drop-schema";
import { dropTable } from "./drop-table";
import { enableRowLevelSecurity } from "./enable-row-level-security";
import { enumValueUsedInSameTransaction } from "./enum-value-used-in-same-transaction";
import { foreignKeyWithoutNotValid } from "./foreign-key-without-not-valid";
import { grantRevoke } from "./grant-revoke";
import { identifierTooLong } from "./identifier-too-long";
import { lockTable } from "./lock-table";
import { missingLockTimeout } from "./missing-lock-timeout";
import { missingStatementTimeout } from "./missing-statement-timeout";
import { multipleConcurrently } from "./multiple-concurrently";
import { notNullColumnWithoutDefault } from "./not-null-column-without-default";
import { refreshMaterializedViewWithoutConcurrently } from "./refresh-materialized-view-without-concurrently";
import { reindexWithoutConcurrently } from "./reindex-without-concurrently";
import { rejectedByPostgres } from "./rejected-by-postgres";
import { renameColumn } from "./rename-column";
import { renameEnumValue } from "./rename-enum-value";
import { renameSchema } from "./rename-schema";
import { renameTable } from "./rename-table";
import { rewriteTable } from "./rewrite-table";
import { roleChange } from "./role-change";
import { type Rule } from "./rule";
import { safeColumnTypeChange } from "./safe-column-type-change";
import { setNotNull } from "./set-not-null";
import { transactionControl } from "./transaction-control";
import { truncate } from "./truncate";
import { unanalyzableCode } from "./unanalyzable-code";
import { unusedAllow } from "./unused-allow";
import { updateWithoutWhere } from "./update-without-where";
import { vacuumFull } from "./vacuum-full";
import { validateInSameTransaction } from "./validate-in-same-transaction";
import { volatileDefault } from "./volatile-default";

/**
 * Every rule, in the order `dbpipe lint` documents them: what loses data, what fails at run time,
 * what locks, what breaks clients, then the rest. Adding a rule: one file in this folder, its
 * test in test/sql/rules/, its doc in docs/rules/, and one line here — `npm run new-rule -- <id>`
 * scaffolds all four.
 */
export const RULES: readonly Rule[] = [
  // Data loss.
  dropTable,
  dropSchema,
  dropDatabase,
  dropOwned,
  truncate,
  deleteWithoutWhere,
  updateWithoutWhere,
  bulkDataChange,
  dataChange,
  dropColumn,
  // Fails when it runs.
  concurrentlyInTransaction,
  cannotRunInTransaction,
  rejectedByPostgres,
  notNullColumnWithoutDefault,
  transactionControl,
  multipleConcurrently,
  createUniqueIndex,
  enumValueUsedInSameTransaction,
  // Rewrites or scans under a lock.
  volatileDefault,
  addSerialColumn,
  changeColumnType,
  rewriteTable,
  vacuumFull,
  cluster,
  reindexWithoutConcurrently,
  createIndexWithoutConcurrently,
  foreignKeyWithoutNotValid,
  checkWithoutNotValid,
  validateInSameTransaction,
  domainCheckWithoutNotValid,
  attachPartition,
  setNotNull,
  addUniqueConstraint,
  addPrimaryKey,
  addExclusionConstraint,
  refreshMaterializedViewWithoutConcurrently,
  // Blocks while it waits.
  lockTable,
  missingLockTimeout,
  dropIndexWithoutConcurrently,
  detachPartitionWithoutConcurrently,
  // Breaks clients or changes behaviour.
  renameTable,
  renameColumn,
  renameSchema,
  renameEnumValue,
  safeColumnTypeChange,
  changeDefault,
  changeSequence,
  dropIndex,
  dropObject,
  disableTrigger,
  enableRowLevelSecurity,
  disableRowLevelSecurity,
  changePolicy,
  identifierTooLong,
  dropConstraint,
  dropNotNull,
  // Infrastructure in a migration.
  grantRevoke,
  changeOwner,
  roleChange,
  createExtension,
  missingStatementTimeout,
  // What dbpipe cannot check, and the migration's own directives.
  unanalyzableCode,
  unusedAllow,
];

/** Rules by id. */
export const ruleById: ReadonlyMap<string, Rule> = new Map(RULES.map((r) => [r.id, r]));

export type { Rule, RuleMeta } from "./rule";
