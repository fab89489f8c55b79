import { quoteIdent } from "../ast";
import { type Rule } from "./rule";

/** ALTER COLUMN ... SET NOT NULL on an existing table, without a validated NOT NULL check to lean on. */
export const setNotNull: Rule = {
  id: "set-not-null",
  severity: "medium",
  summary: "ALTER COLUMN ... SET NOT NULL on an existing table.",
  why: "PostgreSQL scans the whole table for NULLs while holding an ACCESS EXCLUSIVE lock that blocks reads and writes, and the migration fails if it finds one. Since PostgreSQL 12 the scan is skipped when a validated CHECK (column IS NOT NULL) exists; dbpipe does not report that case.",
  instead: "ADD CONSTRAINT c CHECK (column IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c (no blocking lock); then SET NOT NULL, which uses the check instead of scanning; then DROP CONSTRAINT c.",
  sizeSensitive: true,
  on: {
    "AlterTableCmd:AT_SetNotNull"(cmd, context) {
      const { table } = context;
      const name = cmd.name ?? "";
      if (context.history.column(table.key, name)?.notNull) return;
      if (context.history.hasValidatedNotNullCheck(table.key, name)) return;
      context.report({ message: `SET NOT NULL on ${table.display}.${quoteIdent(name)} scans the whole table for NULLs under an ACCESS EXCLUSIVE lock.`, table });
    },
  },
};
