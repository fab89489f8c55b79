import type { RiskLevel } from "../../risk-level";
import { didYouMean } from "../../text/did-you-mean";

/**
 * The id and default severity of every rule in the registry (`./index.ts`), as a leaf module: what
 * the stack settings check `dbpipe:ruleSeverity` against (its ids, and in prod how far a rule may
 * be lowered) without loading the rules themselves. A test fails when this table and the registry
 * differ; adding a rule adds its line here too.
 */
export const RULE_SEVERITY: Readonly<Record<string, RiskLevel>> = {
  "drop-table": "high",
  "drop-schema": "high",
  "drop-database": "high",
  "drop-owned": "high",
  "truncate": "high",
  "delete-without-where": "high",
  "update-without-where": "high",
  "bulk-data-change": "high",
  "data-change": "medium",
  "drop-column": "medium",
  "concurrently-in-transaction": "high",
  "cannot-run-in-transaction": "high",
  "not-null-column-without-default": "medium",
  "transaction-control": "medium",
  "multiple-concurrently": "low",
  "volatile-default": "high",
  "add-serial-column": "high",
  "change-column-type": "high",
  "rewrite-table": "high",
  "vacuum-full": "high",
  "cluster": "high",
  "reindex-without-concurrently": "high",
  "create-index-without-concurrently": "medium",
  "foreign-key-without-not-valid": "medium",
  "check-without-not-valid": "medium",
  "validate-in-same-transaction": "medium",
  "domain-check-without-not-valid": "medium",
  "attach-partition": "medium",
  "set-not-null": "medium",
  "add-unique-constraint": "medium",
  "add-primary-key": "medium",
  "refresh-materialized-view-without-concurrently": "medium",
  "lock-table": "high",
  "missing-lock-timeout": "medium",
  "drop-index-without-concurrently": "medium",
  "detach-partition-without-concurrently": "medium",
  "rename-table": "medium",
  "rename-column": "medium",
  "rename-enum-value": "medium",
  "safe-column-type-change": "low",
  "change-default": "medium",
  "drop-index": "medium",
  "drop-object": "medium",
  "disable-trigger": "medium",
  "drop-constraint": "low",
  "drop-not-null": "low",
  "grant-revoke": "medium",
  "role-change": "medium",
  "create-extension": "low",
  "unanalyzable-code": "medium",
  "unused-allow": "low",
  "create-unique-index": "medium",
  "enum-value-used-in-same-transaction": "high",
  "add-exclusion-constraint": "medium",
  "rename-schema": "medium",
  "enable-row-level-security": "medium",
  "identifier-too-long": "medium",
  "missing-statement-timeout": "low",
  "rejected-by-postgres": "high",
  "disable-row-level-security": "medium",
  "change-policy": "medium",
  "change-owner": "medium",
  "change-sequence": "medium",
};

/** The id of every rule in the registry. */
export const RULE_IDS: readonly string[] = Object.keys(RULE_SEVERITY);

const RULE_ID_SET: ReadonlySet<string> = new Set(RULE_IDS);

/** Whether `id` is a rule's id. */
export function isRuleId(id: string): boolean {
  return RULE_ID_SET.has(id);
}

/**
 * Why `id` is not a rule's id — `no such rule (did you mean drop-table?); …` — or undefined when it
 * is one. The one check of the ids in `dbpipe:ruleSeverity`: the stack settings parser and the
 * linter both use it, so a misspelt id reads the same from every command and from `pulumi up`.
 */
export function ruleIdProblem(id: string): string | undefined {
  if (isRuleId(id)) return undefined;
  return `no such rule${didYouMean(id, RULE_IDS)}; \`dbpipe lint\` prints rule ids beside each finding`;
}
