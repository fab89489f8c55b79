import { didYouMean } from "../../text/did-you-mean";

/**
 * The id of every rule in the registry (`./index.ts`), as a leaf module: what the stack settings
 * check `dbpipe:ruleSeverity` against without loading the rules themselves. A test fails when
 * this list and the registry differ; adding a rule adds its id here too.
 */
export const RULE_IDS: readonly string[] = [
  "drop-table",
  "drop-schema",
  "drop-database",
  "drop-owned",
  "truncate",
  "delete-without-where",
  "update-without-where",
  "bulk-data-change",
  "data-change",
  "drop-column",
  "concurrently-in-transaction",
  "cannot-run-in-transaction",
  "not-null-column-without-default",
  "transaction-control",
  "multiple-concurrently",
  "volatile-default",
  "add-serial-column",
  "change-column-type",
  "rewrite-table",
  "vacuum-full",
  "cluster",
  "reindex-without-concurrently",
  "create-index-without-concurrently",
  "foreign-key-without-not-valid",
  "check-without-not-valid",
  "validate-in-same-transaction",
  "domain-check-without-not-valid",
  "attach-partition",
  "set-not-null",
  "add-unique-constraint",
  "add-primary-key",
  "refresh-materialized-view-without-concurrently",
  "lock-table",
  "missing-lock-timeout",
  "drop-index-without-concurrently",
  "detach-partition-without-concurrently",
  "rename-table",
  "rename-column",
  "rename-enum-value",
  "safe-column-type-change",
  "change-default",
  "drop-index",
  "drop-object",
  "disable-trigger",
  "drop-constraint",
  "drop-not-null",
  "grant-revoke",
  "role-change",
  "create-extension",
  "unanalyzable-code",
  "unused-allow",
  "create-unique-index",
  "enum-value-used-in-same-transaction",
  "add-exclusion-constraint",
  "rename-schema",
  "enable-row-level-security",
  "identifier-too-long",
  "missing-statement-timeout",
];

const RULE_ID_SET: ReadonlySet<string> = new Set(RULE_IDS);

/**
 * Why `id` is not a rule's id — `no such rule (did you mean drop-table?); …` — or undefined when it
 * is one. The one check of the ids in `dbpipe:ruleSeverity`: the stack settings parser and the
 * linter both use it, so a misspelt id reads the same from every command and from `pulumi up`.
 */
export function ruleIdProblem(id: string): string | undefined {
  if (RULE_ID_SET.has(id)) return undefined;
  return `no such rule${didYouMean(id, RULE_IDS)}; \`dbpipe lint\` prints rule ids beside each finding`;
}
